"""Reading a published generation: the embedded backend's read side.

:class:`StoredIndex` is an opened generation's Whoosh index; each thread
reads it through its own :class:`IndexReader`, which is all the rest of
the package sees of Whoosh when searching: term statistics, posting
arrays for scoring (through the process's segment cache), positions for
phrases, stored documents, and the documents holding a filter value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
from whoosh import query as whoosh_query
from whoosh.filedb.filestore import FileStorage

from vn_search.storage.legacy import register_moved_modules
from vn_search.storage.postings import Occurrences, Postings, leaf_occurrences, leaf_postings, rebased
from vn_search.storage.segments import CorpusStatistics, SegmentCache

__all__ = ["IndexReader", "StoredIndex", "open_index"]

_NO_POSTINGS = Postings(np.zeros(0, np.int32), np.zeros(0, np.float32), None)
_NO_POSTINGS_WITH_FIRST = Postings(np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.int32))


def open_index(path: Path) -> StoredIndex:
    """The Whoosh index of a generation (or of a build being written)."""
    return StoredIndex(path)


class StoredIndex:
    """An opened generation's Whoosh index."""

    def __init__(self, path: Path) -> None:
        register_moved_modules()  # an index written by an earlier version names them
        self.path = Path(path)
        # Without mmap: Whoosh reads a memory-mapped compound segment (the
        # format of indexes written before segment_writer) by copying every
        # part into memory, once per searcher — ~500 MB per thread on 20,000
        # articles. Plain file reads share the OS page cache instead.
        self._index = FileStorage(str(path), supports_mmap=False).open_index()

    def statistics(self, fieldnames: list[str], cache: SegmentCache | None = None) -> CorpusStatistics:
        """What scoring needs of the whole generation, computed once and
        shared by every thread's reader."""
        with self._index.searcher() as searcher:
            return CorpusStatistics(searcher, fieldnames, self.path, cache)

    def reader(self, statistics: CorpusStatistics | None = None) -> IndexReader:
        """A reader for one thread (Whoosh searchers are not thread-safe).
        Scoring reads (:meth:`IndexReader.postings`, ``occurrences``) need
        the generation's ``statistics``."""
        return IndexReader(self._index.searcher(), statistics)

    def close(self) -> None:
        self._index.close()


class IndexReader:
    """One thread's reader of a generation.

    Document numbers run from 0 to ``doc_count_all()`` over the whole
    generation, deleted documents (replaced articles' old copies, until a
    merge) included: posting arrays hold them too, and
    ``CorpusStatistics.live`` says which are live.
    """

    def __init__(self, searcher, statistics: CorpusStatistics | None = None) -> None:
        self._searcher = searcher
        self._reader = searcher.reader()
        self.stats = statistics
        leaves = self._reader.leaf_readers()
        keys = statistics.segments if statistics is not None else [None] * len(leaves)
        self._leaves = [(leaf, base, key) for (leaf, base), key in zip(leaves, keys)]

    # -- term statistics --------------------------------------------------------

    def doc_count(self) -> int:
        """Live documents."""
        return self._reader.doc_count()

    def doc_count_all(self) -> int:
        """Document numbers in use, deleted documents included."""
        return self._reader.doc_count_all()

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """Documents holding the term (a replaced document's old copy
        counts until a merge; ``Scorer.document_frequency`` corrects that)."""
        return self._reader.doc_frequency(fieldname, text)

    def __contains__(self, term: tuple[str, str]) -> bool:
        """Whether some document holds ``(field, text)``."""
        return term in self._reader

    def lexicon(self, fieldname: str) -> Iterator[bytes]:
        """A field's terms in order, as stored (UTF-8 bytes)."""
        return self._reader.lexicon(fieldname)

    def field_terms(self, fieldname: str) -> Iterator[str]:
        """A field's terms in order, as text."""
        return self._reader.field_terms(fieldname)

    def indexed_field_names(self) -> list[str]:
        return list(self._reader.indexed_field_names())

    def is_deleted(self, docnum: int) -> bool:
        return self._reader.is_deleted(docnum)

    def has_deletions(self) -> bool:
        """Whether some document numbers belong to deleted documents."""
        return self._reader.has_deletions()

    def segment_count(self) -> int:
        """How many segments the generation is made of."""
        return len(self._leaves)

    # -- stored documents -------------------------------------------------------

    def stored_fields(self, docnum: int) -> dict:
        """The stored values of a document (``schema.py``)."""
        return self._reader.stored_fields(docnum)

    def document_number(self, doc_id: str) -> int | None:
        """The number of the live document with this id, if any."""
        return self._searcher.document_number(id=doc_id)

    def document(self, doc_id: str) -> dict | None:
        """The stored values of the live document with this id, if any."""
        return self._searcher.document(id=doc_id)

    def live_document_numbers(self) -> dict[str, int]:
        """Each live document's number, by id (a replaced document's old
        copy stays in its segment, deleted, until a merge). About 0.7 s
        for corpus C's 58,443 documents."""
        numbers: dict[str, int] = {}
        for leaf, base in self._reader.leaf_readers():
            deletions = leaf.has_deletions()
            for text, _ in leaf.iter_field("id"):
                doc_id = text.decode("utf-8") if isinstance(text, bytes) else text
                for docnum in leaf.postings("id", text).all_ids():
                    if not (deletions and leaf.is_deleted(docnum)):
                        numbers[doc_id] = base + docnum
        return numbers

    # -- filter sets ------------------------------------------------------------

    def term_documents(self, fieldname: str, text: str) -> np.ndarray:
        """The live documents holding a term (a filter value: a kind, a
        source, a category), ascending."""
        return np.fromiter(self._searcher.docs_for_query(whoosh_query.Term(fieldname, text)), dtype=np.int64)

    # -- arrays for scoring -----------------------------------------------------

    def postings(self, fieldname: str, text: str, first_positions: bool = False) -> Postings:
        """A term's document numbers and frequencies over the generation,
        and, if asked (proximity), each document's first position: each
        segment's list from the shared cache, joined with the segments'
        document bases."""
        parts = [(self._segment_postings(leaf, key, fieldname, text, first_positions), base)
                 for leaf, base, key in self._leaves]
        return rebased(parts, first_positions)

    def cached_postings_bytes(self, fieldname: str, text: str, first_positions: bool = False) -> int:
        """Decode a term's lists into the cache, segment by segment,
        without joining them (warming); returns the bytes they take."""
        return sum(self._segment_postings(leaf, key, fieldname, text, first_positions).nbytes
                   for leaf, _, key in self._leaves)

    def _segment_postings(self, leaf, key, fieldname: str, text: str, first_positions: bool) -> Postings:
        def decode() -> Postings:
            if (fieldname, text) not in leaf:
                return _NO_POSTINGS_WITH_FIRST if first_positions else _NO_POSTINGS
            fmt = self._reader.schema[fieldname].format if first_positions else None
            return leaf_postings(leaf.postings(fieldname, text), fmt)

        item = (fieldname, text, "first") if first_positions else (fieldname, text)
        return self._cache().get(key, item, decode)

    def occurrences(self, fieldname: str, text: str) -> Occurrences:
        """Every (document, position) of a term, cached per segment like
        postings (phrases)."""
        fmt = self._reader.schema[fieldname].format
        parts = []
        for leaf, base, key in self._leaves:
            part = self._cache().get(key, (fieldname, text, "positions"),
                                     lambda leaf=leaf: leaf_occurrences(leaf, fieldname, text, fmt))
            if len(part.documents):
                parts.append(part if not base else Occurrences(part.documents + np.int32(base), part.positions))
        if not parts:
            return Occurrences.empty()
        if len(parts) == 1:
            return parts[0]
        return Occurrences(np.concatenate([p.documents for p in parts]), np.concatenate([p.positions for p in parts]))

    def _cache(self) -> SegmentCache:
        if self.stats is None:
            raise RuntimeError("this reader was opened without the generation's statistics")
        return self.stats.cache

    def close(self) -> None:
        self._searcher.close()
