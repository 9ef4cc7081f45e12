"""Stored fields compressed with a zlib preset dictionary learned per segment.

Whoosh's W3 codec pickles each document's stored fields and compresses them
on their own with zlib (``CompressedBytesColumn``, level 3). An article is a
few kilobytes, too short for zlib to find much to repeat, so every document
pays again for the pickle structure, the field names, the source and URL
prefixes and the common Vietnamese words. Here each document is compressed
as if it followed a 32 KB preset dictionary of that shared material. The
dictionary is learned from the first 2 MB of a segment's documents and kept
at the start of the column file, so a segment still reads on its own.

On corpus C (58,443 articles, two segments) the stored columns go from
105 to 74 MB (10^6 bytes). Reading one document (decompress and unpickle)
takes 39 µs instead of 32; writing one, about 160 µs of CPU instead of
75, and learning a segment's dictionary 0.2 s (bench/README.md,
"Decisions made").

A codec uses it through :class:`StoredTextWriter` and
:class:`StoredTextReader`, W3's per-document writer and reader with this
column in place of ``_stored``.
"""

from __future__ import annotations

import zlib
from typing import Sequence

import numpy as np
from whoosh.codec.whoosh3 import W3PerDocReader, W3PerDocWriter
from whoosh.columns import Column, ColumnReader, ColumnWriter, PickleColumn, VarBytesColumn

__all__ = [
    "DictionaryCompressedBytesColumn",
    "STORED_TEXT_COLUMN",
    "StoredTextReader",
    "StoredTextWriter",
    "build_dictionary",
]

DICTIONARY_BYTES = 32 * 1024  # zlib's window: a dictionary reaches no further back
# Documents held back to learn the dictionary from. On corpus C, whose
# segments start with a few hundred atypical (MDS) articles, 1 MB gave 3%
# more bytes than 2 MB, and 4 MB hardly fewer.
SAMPLE_BYTES = 2 << 20
# zlib level: 6 saves 7% more bytes than 4 for three times the extra CPU,
# which the build's 180 s budget cannot spare (bench/README.md, "Decisions made").
LEVEL = 4
MAGIC = b"ZDC1"

# Dictionary learning: a dictionary is DICTIONARY_BYTES // _PIECE pieces
# of _PIECE bytes, chosen for the _DMER-byte substrings they hold.
_PIECE = 128
_DMER = 8
_BUCKET_BITS = 18
_BUCKETS = 1 << _BUCKET_BITS  # substring counters (hashed: 2 MB, not a dict of every substring)


def build_dictionary(samples: Sequence[bytes], size: int = DICTIONARY_BYTES) -> bytes:
    """A zlib preset dictionary of the material most ``samples`` share.

    A small version of zstd's COVER trainer: the samples, end to end, are
    cut into one stretch per dictionary piece; from each stretch the
    ``_PIECE`` bytes whose ``_DMER``-byte substrings occur in the most
    samples are taken, and those substrings then stop counting, so later
    pieces bring new material. The best pieces go last, where zlib reaches
    them at the shortest (cheapest) distances. Samples that fit in ``size``
    are their own best dictionary. Substrings are counted with numpy (a
    segment's 2 MB sample in ~0.2 s; one at a time in Python took 1.2 s).
    """
    data = b"".join(samples)
    if len(data) <= size:
        return data
    buckets = _substring_buckets(data)
    # In how many samples each bucket's substrings occur (those lying
    # across two samples aside).
    lengths = np.fromiter(map(len, samples), np.int64, len(samples))
    owner = np.repeat(np.arange(len(samples), dtype=np.int64), lengths)[: len(buckets)]
    inside = np.arange(len(buckets)) + _DMER <= np.cumsum(lengths)[owner]
    pairs = np.sort(owner[inside] * _BUCKETS + buckets[inside])  # np.unique hashes: 5x slower here
    distinct = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    documents_with = np.bincount(distinct % _BUCKETS, minlength=_BUCKETS)

    window = _PIECE - _DMER + 1  # substrings starting inside a piece
    stretch = len(data) // max(1, size // _PIECE)
    pieces = []
    for start in range(0, len(data) - _PIECE + 1, stretch):
        stop = min(start + stretch, len(data))
        found = buckets[start : stop - _DMER + 1]
        counts = documents_with[found]
        counts[counts <= 1] = 0  # a substring seen in one document only is of no use to the others
        running = np.concatenate(([0], np.cumsum(counts)))
        scores = running[window:] - running[:-window]
        best = int(np.argmax(scores))
        documents_with[found[best : best + window]] = 0
        pieces.append((int(scores[best]), data[start + best : start + best + _PIECE]))
    pieces.sort(key=lambda scored: scored[0])
    return b"".join(piece for _, piece in pieces)[-size:]


def _substring_buckets(data: bytes) -> np.ndarray:
    """The bucket of the ``_DMER``-byte substring starting at each position
    of ``data``: the substring read as a 64-bit number, hashed by
    multiplication (the same on every machine: dictionaries repeat)."""
    raw = np.frombuffer(data, np.uint8)
    count = len(raw) - _DMER + 1
    numbers = np.zeros(count, np.uint64)
    for at in range(_DMER):
        numbers |= raw[at : at + count].astype(np.uint64) << np.uint64(8 * at)
    numbers *= np.uint64(0x9E3779B97F4A7C15)  # wraps around, as meant
    return (numbers >> np.uint64(64 - _BUCKET_BITS)).astype(np.int64)


class DictionaryCompressedBytesColumn(Column):
    """Byte strings, each compressed on its own with zlib from a preset
    dictionary learned from the first values and kept in the column.

    Layout: ``MAGIC``, the dictionary's length (uint) and the dictionary
    (zlib, level 9), then a ``VarBytesColumn`` of the compressed values (an
    empty value stays empty: "no value").
    """

    _default = b""

    def __init__(self, level: int = LEVEL, sample_bytes: int = SAMPLE_BYTES) -> None:
        self._level = level
        self._sample_bytes = sample_bytes

    def writer(self, dbfile) -> "DictionaryCompressedBytesColumn.Writer":
        return self.Writer(dbfile, self._level, self._sample_bytes)

    def reader(self, dbfile, basepos: int, length: int, doccount: int) -> "DictionaryCompressedBytesColumn.Reader":
        return self.Reader(dbfile, basepos, length, doccount)

    class Writer(ColumnWriter):
        """Holds values back until it has ``sample_bytes`` of them (or the
        column ends), learns the dictionary from them and writes it, then
        compresses every value as it comes."""

        def __init__(self, dbfile, level: int, sample_bytes: int) -> None:
            self._dbfile = dbfile
            self._level = level
            self._sample_bytes = sample_bytes
            self._held_back: list[tuple[int, bytes]] = []
            self._held_back_bytes = 0
            self._compressor = None  # primed with the dictionary, copied for each value
            self._values = None  # the VarBytesColumn after the dictionary

        def add(self, docnum: int, value: bytes) -> None:
            if self._compressor is not None:
                self._values.add(docnum, self._compress(value))
                return
            self._held_back.append((docnum, value))
            self._held_back_bytes += len(value)
            if self._held_back_bytes >= self._sample_bytes:
                self._start_values()

        def finish(self, doccount: int) -> None:
            if self._compressor is None:
                self._start_values()
            self._values.finish(doccount)

        def _start_values(self) -> None:
            dictionary = build_dictionary([value for _, value in self._held_back if value])
            stored_dictionary = zlib.compress(dictionary, 9)
            self._dbfile.write(MAGIC)
            self._dbfile.write_uint(len(stored_dictionary))
            self._dbfile.write(stored_dictionary)
            self._compressor = zlib.compressobj(self._level, zdict=dictionary)
            self._values = VarBytesColumn.Writer(self._dbfile)
            for docnum, value in self._held_back:
                self._values.add(docnum, self._compress(value))
            self._held_back = []

        def _compress(self, value: bytes) -> bytes:
            if not value:
                return value
            # Copying a primed compressor is cheaper than loading 32 KB of
            # dictionary into a new one (~50 µs a value at level 6).
            compressor = self._compressor.copy()
            return compressor.compress(value) + compressor.flush()

    class Reader(ColumnReader):
        def __init__(self, dbfile, basepos: int, length: int, doccount: int) -> None:
            super().__init__(dbfile, basepos, length, doccount)
            if dbfile.get(basepos, len(MAGIC)) != MAGIC:
                raise ValueError(f"{dbfile}: expected a dictionary-compressed column ({MAGIC!r}) at byte {basepos}")
            dictionary_at = basepos + len(MAGIC) + 4
            stored_length = dbfile.get_uint(dictionary_at - 4)
            self._dictionary = zlib.decompress(dbfile.get(dictionary_at, stored_length))
            values_at = dictionary_at + stored_length
            self._values = VarBytesColumn.Reader(dbfile, values_at, basepos + length - values_at, doccount)

        def __getitem__(self, docnum: int) -> bytes:
            compressed = self._values[docnum]
            if not compressed:
                return compressed
            # A decompressor per call: cheap (the dictionary is only copied
            # into its window) and safe for readers in several threads.
            decompressor = zlib.decompressobj(zdict=self._dictionary)
            value = decompressor.decompress(compressed)
            if not decompressor.eof:  # zlib.decompress would have said so
                raise ValueError(f"{self._dbfile}: value of document {docnum} is cut short")
            return value

        def __iter__(self):
            return (self[docnum] for docnum in range(self._doccount))


STORED_TEXT_COLUMN = PickleColumn(DictionaryCompressedBytesColumn())


class StoredTextWriter(W3PerDocWriter):
    """W3's per-document writer, with stored fields in ``STORED_TEXT_COLUMN``."""

    def _create_column(self, fieldname: str, column) -> None:
        # W3PerDocWriter.__init__ creates "_stored" with W3's column type;
        # later values go to whatever column was created under that name.
        if fieldname == "_stored":
            column = STORED_TEXT_COLUMN
        super()._create_column(fieldname, column)


class StoredTextReader(W3PerDocReader):
    """W3's per-document reader, with stored fields in ``STORED_TEXT_COLUMN``."""

    def stored_fields(self, docnum: int) -> dict:
        return self._cached_reader("_stored", STORED_TEXT_COLUMN)[docnum] or {}
