"""What is decoded from an index segment, kept once per process for every
generation that holds the segment.

An update publishes a new generation whose unchanged segments are hard
links to the previous generation's files (``store.py``): the same bytes,
so the same decoded posting lists, lengths and dates. Keyed by the
segment's identity (Whoosh's segment id and the inode of its postings
file), these survive a publish and only the new segment starts cold, the
way Lucene reopens a near-real-time reader. A merge or a rebuild writes
new segment files: they miss, and the old segments' entries go as soon as
no open generation holds them (:meth:`SegmentCache.release`).

What changes from one generation to the next without new files — which
documents are deleted (a replaced article's old copy) — is not kept here:
:class:`CorpusStatistics` reads it per generation, and combines the
segments' parts into the generation's statistics (lengths and dates end
to end, average lengths over its live documents; Whoosh sums document
frequencies over the segments the same way).

Memory: :data:`CACHE_BYTES` of decoded lists per server process (each
``serve`` worker has its own), plus the per-segment arrays (about 30 bytes
a document: six lengths and a date, ~2 MB on corpus C).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Callable, Hashable, NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.util.times import datetime_to_long, long_to_datetime

__all__ = ["CACHE_BYTES", "SEGMENT_CACHE", "CorpusStatistics", "SegmentArrays", "SegmentCache", "SegmentKey", "published_moment",
           "published_value", "segment_key"]

# Decoded posting lists and phrase positions kept per process, for every
# generation. Common syllables recur in most queries; at 96 MB, proximity
# and phrase arrays evicted them and warm MDS queries slowed from ~7 to ~20 ms.
# Room for SearchEngine.warm's 256 MB and 128 MB more for what queries read.
CACHE_BYTES = 384 * 1024 * 1024
# What a cached entry costs besides its arrays (the key, the dict slot, the
# tuple): counted so that a flood of absent terms cannot grow the cache unseen.
ENTRY_OVERHEAD = 200
_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


class SegmentKey(NamedTuple):
    """A segment's identity across generations: a hard link keeps the
    inode, a rewrite (merge, rebuild) does not."""

    segment: str
    device: int
    inode: int
    documents: int


def segment_key(reader, folder: str | os.PathLike) -> SegmentKey:
    """The identity of a Whoosh segment reader's segment in ``folder``
    (a generation). A segment without a postings file of its own (a
    compound one) is known by its compound file."""
    segment = reader.segment()
    for ext in (".pst", ".seg"):
        try:
            found = os.stat(Path(folder) / segment.make_filename(ext))
        except OSError:
            continue
        return SegmentKey(segment.segment_id(), found.st_dev, found.st_ino, reader.doc_count_all())
    # Nothing on disk to tell it by: never shared (an object id is unique while it lives).
    return SegmentKey(segment.segment_id(), -1, id(reader), reader.doc_count_all())


def published_value(moment: datetime) -> int:
    """A time (naive UTC) as the ``published`` column holds it, so that
    :attr:`CorpusStatistics.published` can be compared with it (Whoosh's
    DATETIME: microseconds since ``datetime.min``)."""
    return datetime_to_long(moment)


def published_moment(value: int) -> datetime:
    """A ``published`` column value as a (naive UTC) time."""
    return long_to_datetime(int(value))


def _per_document(column, count: int, dtype) -> np.ndarray:
    """One value per document from a Whoosh column reader."""
    return np.fromiter((column[i] for i in range(count)), dtype=dtype, count=count)


class SegmentArrays:
    """Per-document values of one segment that scoring reads: field lengths
    (as Whoosh's length byte decodes them) and publication dates. Deleted
    documents included; they never change while the segment exists."""

    def __init__(self, reader, fieldnames: list[str]) -> None:
        self.count = reader.doc_count_all()
        self.lengths: dict[str, np.ndarray] = {}
        for name in fieldnames:
            # Whoosh has no public reader of the length byte column.
            column = reader._perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
            if column is None:
                self.lengths[name] = np.zeros(self.count, dtype=np.float32)
            else:
                self.lengths[name] = _BYTE_TO_LENGTH[_per_document(column, self.count, np.uint8)]
        # Dates as sortable integers; undated documents hold the column's
        # default (2**64 - 1) and become 0, so they sort last.
        self.published = np.zeros(self.count, np.int64)
        if reader.has_column("published"):
            values = _per_document(reader.column_reader("published", translate=False), self.count, np.uint64)
            values[values >= 2**62] = 0
            self.published = values.astype(np.int64)

    @property
    def nbytes(self) -> int:
        return self.published.nbytes + sum(values.nbytes for values in self.lengths.values())


class SegmentCache:
    """Decoded values per segment, shared by the generations that hold it.

    Posting lists and positions are kept least recently used first out,
    within ``max_bytes``: common syllables recur in most queries (and
    warming puts them there), so they stay. Each open generation holds
    its segments (:meth:`acquire`); a segment no generation holds is
    forgotten at once, and nothing is stored for it meanwhile.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._values: OrderedDict[tuple, object] = OrderedDict()  # (segment, item) -> value
        self._sizes: dict[tuple, int] = {}
        self._bytes_by_segment: dict[SegmentKey, int] = {}
        self._holders: dict[SegmentKey, int] = {}
        self._arrays: dict[SegmentKey, SegmentArrays] = {}
        self.nbytes = 0

    # -- which segments are in use -------------------------------------------

    def acquire(self, keys: list[SegmentKey]) -> None:
        """A generation holding these segments was opened."""
        with self._lock:
            for key in keys:
                self._holders[key] = self._holders.get(key, 0) + 1

    def release(self, keys: list[SegmentKey]) -> None:
        """A generation holding these segments was closed: what only it
        held is dropped (a merged-away segment, a rebuilt index)."""
        with self._lock:
            gone = set()
            for key in keys:
                left = self._holders.get(key, 0) - 1
                if left > 0:
                    self._holders[key] = left
                else:
                    self._holders.pop(key, None)
                    gone.add(key)
            if not gone:
                return
            for entry in [entry for entry in self._values if entry[0] in gone]:
                self._drop(entry)
            for key in gone:
                self._arrays.pop(key, None)
                self._bytes_by_segment.pop(key, None)

    def segments(self) -> set[SegmentKey]:
        """The segments that have something cached."""
        with self._lock:
            return {entry[0] for entry in self._values} | set(self._arrays)

    def bytes_for(self, keys: list[SegmentKey]) -> int:
        """Bytes of decoded lists cached for these segments."""
        with self._lock:
            return sum(self._bytes_by_segment.get(key, 0) for key in keys)

    # -- values ----------------------------------------------------------------

    def arrays(self, key: SegmentKey, reader, fieldnames: list[str]) -> SegmentArrays:
        """The segment's lengths and dates, read once while it is held."""
        with self._lock:
            found = self._arrays.get(key)
        if found is not None and all(name in found.lengths for name in fieldnames):
            return found
        arrays = SegmentArrays(reader, fieldnames)
        with self._lock:
            if key in self._holders:
                self._arrays[key] = arrays
        return arrays

    def get(self, key: SegmentKey, item: Hashable, compute: Callable[[], object]):
        """The cached value of ``item`` in segment ``key``, else
        ``compute()`` (outside the lock: other threads go on reading),
        cached if the segment is held and the value is small enough."""
        entry = (key, item)
        with self._lock:
            value = self._values.get(entry)
            if value is not None:
                self._values.move_to_end(entry)
                return value
        value = compute()
        self._put(entry, value)
        return value

    def peek(self, key: SegmentKey, item: Hashable):
        """The cached value or None, without making it recently used."""
        with self._lock:
            return self._values.get((key, item))

    def _put(self, entry: tuple, value) -> None:
        size = value.nbytes + ENTRY_OVERHEAD
        if size * 4 > self.max_bytes:
            return  # one list must not push out a quarter of the rest
        with self._lock:
            if entry[0] not in self._holders or entry in self._values:
                return
            while self._values and self.nbytes + size > self.max_bytes:
                self._drop(next(iter(self._values)))
            self._values[entry] = value
            self._sizes[entry] = size
            self.nbytes += size
            self._bytes_by_segment[entry[0]] = self._bytes_by_segment.get(entry[0], 0) + size

    def _drop(self, entry: tuple) -> None:
        del self._values[entry]
        size = self._sizes.pop(entry)
        self.nbytes -= size
        self._bytes_by_segment[entry[0]] -= size


SEGMENT_CACHE = SegmentCache()
"""The process's cache: every engine and generation in a process shares it."""


class CorpusStatistics:
    """What scoring needs to know about one opened generation, shared by all
    threads: document lengths, dates and which documents are live, with
    collection statistics combined from the segments' parts.

    What a segment holds is read once per process for every generation
    that holds the segment (:class:`SegmentCache`): an update's unchanged
    segments keep their arrays and decoded posting lists. Which documents
    are deleted changes with every generation and is read here.
    """

    def __init__(self, searcher, fieldnames: list[str], folder, cache: "SegmentCache | None" = None) -> None:
        reader = searcher.reader()
        self.cache = cache = cache if cache is not None else SEGMENT_CACHE
        self.size = reader.doc_count_all()
        self.live_count = max(1, reader.doc_count())
        leaves = reader.leaf_readers()
        self.segments = [segment_key(leaf, folder) for leaf, _ in leaves]
        cache.acquire(self.segments)
        self._closed = False
        arrays = [cache.arrays(key, leaf, fieldnames) for key, (leaf, _) in zip(self.segments, leaves)]
        self.lengths = {name: np.concatenate([a.lengths[name] for a in arrays]) if arrays else np.zeros(0, np.float32)
                        for name in fieldnames}
        live = [_live(leaf) for leaf, _ in leaves]
        self.live = np.concatenate(live) if live else np.zeros(0, bool)
        self.has_deletions = not bool(self.live.all())
        # Over live documents only: a replaced document's old copy stays in
        # its segment (marked deleted) until a merge and must not count.
        self.average_length = {
            name: max(1.0, float(self.lengths[name][self.live].mean()) if self.live.any() else 1.0)
            for name in fieldnames
        }
        self.published = np.concatenate([a.published for a in arrays]) if arrays else np.zeros(0, np.int64)

    @property
    def cached_bytes(self) -> int:
        """Bytes of decoded lists cached for this generation's segments."""
        return self.cache.bytes_for(self.segments)

    def close(self) -> None:
        """The generation is no longer searched: its segments are released
        (what no other open generation holds is dropped from the cache)."""
        if not self._closed:
            self._closed = True
            self.cache.release(self.segments)

    def __del__(self) -> None:
        # An engine dropped without close() (a test, a script) still lets go
        # of its segments; at interpreter exit there may be nothing left to tell.
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass


def _live(leaf) -> np.ndarray:
    """A segment's documents that are not deleted in this generation."""
    live = np.ones(leaf.doc_count_all(), bool)
    if leaf.has_deletions():
        live[np.fromiter(leaf.segment().deleted_docs(), np.int64)] = False
    return live
