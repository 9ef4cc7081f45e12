"""How documents are scored: BM25F, term at a time, with numpy.

Whoosh's own query evaluation walks a binary tree of union matchers, one
Python call per posting per tree level. A Vietnamese query becomes many
terms (each syllable exact and folded, each adjacent pair as a word or
bigram, in three fields), and that walk cost 100–600 ms per query on a few
thousand articles. Here the same postings are read block by block from the
Whoosh index, decoded with numpy, and accumulated into a score array:
cost grows with the postings read, not with the number of Python calls.

Scoring is BM25 per field (the BM25F of Whoosh: a weighted sum of per-field
BM25 scores, each with its own length normalisation), times a coordination
factor that ranks documents matching more of the query's words first.

Phrases, exclusions and filters are still evaluated by Whoosh (they are
rare, and its phrase matcher checks positions); they only restrict which
documents may score.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import byte_to_length

__all__ = ["ScoringTerm", "TermGroup", "ScoringPlan", "IndexStatistics", "Scorer"]

K1 = 1.2
FIELD_B = {"title": 0.5, "title_f": 0.5}  # short fields: length matters less
DEFAULT_B = 0.75
COORDINATION = 1.0  # how strongly matching more query words lifts a document
_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
_CACHE_BYTES = 96 * 1024 * 1024  # decoded posting lists kept per generation


@dataclass(frozen=True)
class ScoringTerm:
    field: str
    text: str
    weight: float


@dataclass
class TermGroup:
    """Terms that stand for one query word (a syllable, exact and folded,
    in each field) or one adjacent pair. ``counts`` says whether the group
    takes part in coordination (syllables do, pairs are only a bonus)."""

    terms: list[ScoringTerm]
    counts: bool = True
    common_probe: ScoringTerm | None = None  # df of this term decides "too common"


@dataclass
class ScoringPlan:
    groups: list[TermGroup] = field(default_factory=list)
    required: list = field(default_factory=list)  # Whoosh queries every hit must match
    excluded: list = field(default_factory=list)  # Whoosh queries no hit may match


def _per_document(column, count: int, dtype) -> np.ndarray:
    """One value per document from a Whoosh column reader."""
    return np.fromiter((column[i] for i in range(count)), dtype=dtype, count=count)


class _Leaf:
    """Per-segment arrays that do not change while a generation is open."""

    def __init__(self, reader, fieldnames: list[str]) -> None:
        self.count = reader.doc_count_all()
        self.lengths: dict[str, np.ndarray] = {}
        for name in fieldnames:
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
        self.live = None
        if reader.has_deletions():
            self.live = np.fromiter((not reader.is_deleted(i) for i in range(self.count)), dtype=bool, count=self.count)


class IndexStatistics:
    """What scoring needs to know about one opened generation, shared by all
    threads: document lengths, dates, collection statistics, and a cache of
    decoded posting lists (common syllables recur in most queries)."""

    def __init__(self, searcher, fieldnames: list[str]) -> None:
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self.live_count = max(1, reader.doc_count())
        self.leaves = [_Leaf(leaf, fieldnames) for leaf, _ in reader.leaf_readers()]
        self.lengths = {name: np.concatenate([leaf.lengths[name] for leaf in self.leaves]) if self.leaves else np.zeros(0, np.float32) for name in fieldnames}
        live = [leaf.live if leaf.live is not None else np.ones(leaf.count, bool) for leaf in self.leaves]
        self.live = np.concatenate(live) if live else np.zeros(0, bool)
        self.has_deletions = not bool(self.live.all())
        # Over live documents only: a replaced document's old copy stays in
        # its segment (marked deleted) until a merge and must not count.
        self.average_length = {
            name: max(1.0, float(self.lengths[name][self.live].mean()) if self.live.any() else 1.0)
            for name in fieldnames
        }
        self.published = np.concatenate([leaf.published for leaf in self.leaves]) if self.leaves else np.zeros(0, np.int64)
        self._cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._cache_bytes = 0
        self._lock = threading.Lock()

    def cached(self, key):
        return self._cache.get(key)

    def remember(self, key, value) -> None:
        size = value[0].nbytes + value[1].nbytes
        if size * 4 > _CACHE_BYTES:
            return
        with self._lock:
            while self._cache and self._cache_bytes + size > _CACHE_BYTES:
                old = self._cache.pop(next(iter(self._cache)))
                self._cache_bytes -= old[0].nbytes + old[1].nbytes
            self._cache[key] = value
            self._cache_bytes += size


def _leaf_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and frequencies of one segment's posting list."""
    if isinstance(matcher, W3LeafMatcher) and hasattr(matcher, "_data"):
        ids_parts, tf_parts = [], []
        while matcher.is_active():
            matcher._read_data()
            raw_ids, weights = matcher._data[0], matcher._data[1]
            # Whoosh delta-encodes the ids of each block from zero
            ids = np.asarray(raw_ids).astype(np.int64)
            if not matcher._byteids:
                ids = np.cumsum(ids)
            count = len(ids)
            if weights is None:
                tf = np.ones(count, np.float32)
            elif isinstance(weights, float):
                tf = np.full(count, weights, np.float32)
            else:
                tf = np.asarray(weights, dtype=np.float32)
            ids_parts.append(ids)
            tf_parts.append(tf)
            matcher._next_block()
        if not ids_parts:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(ids_parts), np.concatenate(tf_parts)
    ids, tf = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        tf.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, np.int64), np.asarray(tf, np.float32)


class Scorer:
    """Scores a plan against one thread's searcher of a generation."""

    def __init__(self, searcher, statistics: IndexStatistics) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.stats = statistics
        self._leaves = self.reader.leaf_readers()

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Global document numbers and term frequencies of a term."""
        key = (fieldname, text)
        found = self.stats.cached(key)
        if found is not None:
            return found
        ids_parts, tf_parts = [], []
        for leaf, base in self._leaves:
            if (fieldname, text) not in leaf:
                continue
            ids, tf = _leaf_postings(leaf.postings(fieldname, text))
            ids_parts.append(ids + base)
            tf_parts.append(tf)
        if ids_parts:
            value = (np.concatenate(ids_parts), np.concatenate(tf_parts))
        else:
            value = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        self.stats.remember(key, value)
        return value

    def document_frequency(self, fieldname: str, text: str) -> int:
        """Live documents holding the term. Whoosh's doc_frequency also
        counts the old copies of replaced documents, so once an index has
        deletions the (cached) posting list is counted instead."""
        if not self.stats.has_deletions:
            return self.reader.doc_frequency(fieldname, text)
        ids, _ = self.postings(fieldname, text)
        return int(self.stats.live[ids].sum())

    def _term_scores(self, term: ScoringTerm) -> tuple[np.ndarray, np.ndarray]:
        ids, tf = self.postings(term.field, term.text)
        if not len(ids):
            return ids, tf
        stats = self.stats
        df = int(stats.live[ids].sum()) if stats.has_deletions else len(ids)
        idf = math.log(1.0 + (stats.live_count - df + 0.5) / (df + 0.5))
        b = FIELD_B.get(term.field, DEFAULT_B)
        norm = (1.0 - b) + b * (stats.lengths[term.field][ids] / stats.average_length[term.field])
        return ids, (term.weight * idf) * tf * (K1 + 1.0) / (tf + K1 * norm)

    def _mask(self, queries) -> np.ndarray:
        mask = np.zeros(self.stats.size, bool)
        for query in queries:
            docs = np.fromiter(self.searcher.docs_for_query(query), dtype=np.int64)
            mask[docs] = True
        return mask

    def run(
        self,
        plan: ScoringPlan,
        limit: int,
        filters: list,
        by_date: bool = False,
        common_fraction: float = 0.3,
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Top ``limit`` document numbers with their scores, and the total
        number of matching documents."""
        size = self.stats.size
        scores = np.zeros(size, np.float32)
        matched = np.zeros(size, np.float32)
        groups = self._useful_groups(plan.groups, common_fraction)
        counted = sum(1 for g in groups if g.counts) or 1
        for group in groups:
            hit = np.zeros(size, bool) if group.counts else None
            for term in group.terms:
                ids, contribution = self._term_scores(term)
                if len(ids):
                    scores[ids] += contribution
                    if hit is not None:
                        hit[ids] = True
            if hit is not None:
                matched += hit
        allowed = self.stats.live.copy()
        for query in plan.required:
            allowed &= self._mask([query])
        if plan.excluded:
            allowed &= ~self._mask(plan.excluded)
        for query in filters:
            allowed &= self._mask([query])
        if not groups and plan.required:  # only phrases: every phrase match counts
            scores[allowed] += 1.0
        scores *= 1.0 + COORDINATION * (matched / counted)
        scores[~allowed] = 0.0
        candidates = np.flatnonzero(scores > 0)
        total = len(candidates)
        if by_date:
            order = np.lexsort((-scores[candidates], -self.stats.published[candidates]))
            top = candidates[order[:limit]]
        elif total > limit:
            part = np.argpartition(-scores[candidates], limit - 1)[:limit]
            top = candidates[part[np.argsort(-scores[candidates[part]], kind="stable")]]
        else:
            top = candidates[np.argsort(-scores[candidates], kind="stable")]
        return top, scores[top], total

    def _useful_groups(self, groups: list[TermGroup], common_fraction: float) -> list[TermGroup]:
        """Leave out words found in most documents (của, và, là, ...) as
        standalone terms when the query has better ones: their BM25 weight
        is near zero, their posting lists are the longest. They still count
        through the pair terms (``cua_toi``)."""
        threshold = common_fraction * self.stats.live_count
        useful, common = [], []
        for group in groups:
            probe = group.common_probe
            if probe is not None and self.document_frequency(probe.field, probe.text) > threshold:
                common.append(group)
            else:
                useful.append(group)
        if not any(g.counts for g in useful):
            return groups
        return useful
