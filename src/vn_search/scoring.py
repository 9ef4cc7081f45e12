"""How documents are scored: BM25F, term at a time, with numpy.

Whoosh's own query evaluation walks a binary tree of union matchers, one
Python call per posting per tree level. A Vietnamese query becomes many
terms (each syllable exact and folded, each adjacent pair as a word or
bigram, in three fields), and that walk cost 100–600 ms per query on a few
thousand articles. Here the same postings are read block by block from the
Whoosh index, decoded with numpy, and accumulated into a score array:
cost grows with the postings read, not with the number of Python calls.

Scoring is BM25 per field (the BM25F of Whoosh: a weighted sum of per-field
BM25 scores, each with its own length normalisation), times coordination
factors that rank documents holding more of the query first (more of its
words, more of them in the headline, more of its adjacent pairs), times a
proximity factor (``proximity.py``) for the query's syllables standing
close together, in order, in the headline and lead.

Quoted and excluded phrases are matched with numpy over decoded positions
(``phrases.py``; Whoosh's own phrase matcher took 60-80 ms on common
syllables); an excluded accented word and the filters (kind, source,
category: ``IndexReader.term_documents``) become masks too. They only
restrict which documents may score. Every read goes through the storage
layer's :class:`~vn_search.storage.reader.IndexReader`.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Iterable, NamedTuple

import numpy as np

from vn_search.analysis.terms import JOINER, fold_term
from vn_search.matching import Membership, QueryWord, Unit, as_syllables, documents_needed, members
from vn_search.phrases import phrase_documents
from vn_search.proximity import PROXIMITY_WEIGHTS, closeness
from vn_search.query import ParsedQuery, Rewording, ScoringPlan, ScoringTerm, TermGroup, build_plan
from vn_search.schema import TEXT_FIELDS
from vn_search.stories import StoryMap
from vn_search.storage.postings import Occurrences, Postings
from vn_search.storage.reader import IndexReader
from vn_search.storage.segments import CorpusStatistics

__all__ = ["CorpusStatistics", "Scorer"]

# Tuned on corpus C with bench/relevance.py: a lower k1 saturates repeated syllables sooner, and body
# and lead lengths matter a little less than BM25's defaults say (b 0.5 rather than 0.6 once common
# words score in headlines and leads: MDS 0.920 → 0.922, the other sets equal or better).
K1 = 0.9
FIELD_B = {"title": 0.5, "title_f": 0.5}  # short fields: length matters less
DEFAULT_B = 0.5
# Coordination: how strongly a document is lifted for holding more of the
# query's words (each weighted by its IDF, so missing a rare name costs more
# than missing a common verb), more of them in its headline, and more of the
# query's adjacent pairs.
COORDINATION = 2.0
TITLE_COORDINATION = 0.5
PAIR_COORDINATION = 1.5
TITLE_FIELDS = ("title", "title_f")
# A word found in more than this share of the articles (của, người, mới,
# ...) is too common for its body matches to say anything, and its body
# posting lists are the longest of all: it is scored, and counted for
# coordination, in the headline and lead only (COMMON_FIELDS). Leaving such
# words out altogether lost the headline signal of known-item queries
# (corpus C, MRR@10, at b 0.6: KI-4w 0.755 → 0.838, KI-4w unaccented
# 0.632 → 0.774, MDS unaccented 0.899 → 0.917 when they are kept there).
COMMON_FRACTION = 0.3
# (Exact and folded headline, folded lead: the lead's exact list of such a
# word is as long as the folded one and moved no MRR@10 by more than 0.001.)
COMMON_FIELDS = ("title", "title_f", "summary_f")
# A document scoring at least this share of the best member's score is a
# member too (see Scorer.run). On corpus C, without it MDS MRR@10 fell from
# 0.922 to 0.906 (relevant headlines worded differently from the label);
# 0.5 gives it back with junk@10 at 0.045; 0.35 gained no MRR and let
# junk@10 reach 0.055.
NEAR_BEST = 0.5
# An article related to one of the set's RELATED_FROM best (another report
# of the same event, stories.RELATED) joins the set when it holds this share
# of the query's syllables, accents aside: a report that words the event
# another way ("Sir Alex tiết lộ nhiều bí mật của M.U trong tự truyện" for
# "Sir Alex kể tội các học trò cưng"). On corpus C's MDS labels (bench
# relevance), recall in set 0.871 -> 0.948, unaccented 0.879 -> 0.953, with
# junk@10 under date sort 0.024 -> 0.022, 0.045 -> 0.042. From the best 8,
# recall 0.950 and more hits lacking the rarest word; a share of 0.5 took
# unaccented junk@10 to 0.059.
RELATED_FROM = 5
RELATED_SHARE = 0.6
# A query's pair of syllables is one word when at least this many article
# bodies hold it inside a pyvi word; rarer pairs are pyvi over-merging a
# query (``vietnam airlines hủy``).
WORD_PAIR_DOCUMENTS = 3
# A word in fewer documents than this (in a large index) is more likely a
# typo than the word that decides what the query is about, unless it is a
# name (Paektu).
MIN_DECIDING_DOCUMENTS = 10


class Ranking(NamedTuple):
    """What :meth:`Scorer.run` found: the top document numbers and their
    scores, the size of the result set (``total`` documents in ``stories``
    stories; the same without grouping), how it was decided, how many of
    its documents are undated, the set itself (``members``) and the
    documents the filters and exclusions allow (``allowed``: kind, source,
    category, dates, ``-words``; not the phrases, which pick the matches),
    for the articles a page lists beside a hit."""

    docnums: np.ndarray
    scores: np.ndarray
    total: int
    membership: Membership | None
    undated: int
    members: np.ndarray
    allowed: np.ndarray
    stories: int


def _best(candidates: np.ndarray, scores: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` best-scored candidates, best first (ties: index order)."""
    if len(candidates) > count:
        part = np.argpartition(-scores[candidates], count - 1)[:count]
        return candidates[part[np.argsort(-scores[candidates[part]], kind="stable")]]
    return candidates[np.argsort(-scores[candidates], kind="stable")]


class _Coverage:
    """How much of the query each document holds, for the coordination
    factors: IDF-weighted syllables anywhere and in the headline, and the
    share of adjacent pairs."""

    def __init__(self, size: int) -> None:
        self.words = np.zeros(size, np.float32)
        self.title_words = np.zeros(size, np.float32)
        self.pairs = np.zeros(size, np.float32)
        self.word_total = 0.0
        self.pair_total = 0

    def add(self, group: TermGroup, weight: float, hit: np.ndarray, in_title: np.ndarray) -> None:
        weight *= group.share
        if group.counts:
            self.word_total += weight
            self.words += weight * hit
            self.title_words += weight * in_title
        else:
            self.pair_total += group.share
            self.pairs += group.share * hit

    def factor(self) -> np.ndarray | float:
        factor = 1.0
        if self.word_total:
            factor = (1.0 + COORDINATION * self.words / self.word_total) * (
                1.0 + TITLE_COORDINATION * self.title_words / self.word_total)
        if self.pair_total:
            factor = factor * (1.0 + PAIR_COORDINATION * self.pairs / self.pair_total)
        return factor


class Scorer:
    """Scores a plan against one thread's reader of a generation."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self.stats: CorpusStatistics = reader.stats
        self._form_weights_seen: dict[tuple, tuple[float, float]] = {}  # Scorer._form_weights, remembered

    def postings(self, fieldname: str, text: str) -> Postings:
        """Global document numbers and term frequencies of a term, and for
        the fields proximity looks at, first positions."""
        return self.reader.postings(fieldname, text, fieldname in PROXIMITY_WEIGHTS)

    def warm(self, terms: Iterable[tuple[str, str]], budget: int, stop=lambda: False, share: float = 1.0) -> int:
        """Decode the posting lists of ``terms`` (field, text) into the
        shared cache, in order, until the lists read take ``budget`` bytes
        (lists already cached count, so every generation warms the same
        terms, and only a new segment's lists are decoded); returns how
        many terms were read. ``stop()`` ends it early; with ``share``
        below 1 it pauses so that it uses at most that share of the time
        (a server's request threads get the rest of the interpreter)."""
        read = taken = 0
        started = time.thread_time()
        seen = set()  # words that fold alike (có, cô, cơ) share their folded lists
        for fieldname, text in terms:
            if taken >= budget or stop():
                break
            if (fieldname, text) in seen:
                continue
            seen.add((fieldname, text))
            taken += self.reader.cached_postings_bytes(fieldname, text, fieldname in PROXIMITY_WEIGHTS)
            read += 1
            if share < 1.0:
                # This thread's CPU time, not the clock's: on a busy machine
                # the clock also counts the time other processes ran.
                busy = time.thread_time() - started
                if busy > 0.005:  # pause after every few milliseconds of work
                    time.sleep(busy * (1.0 - share) / share)
                    started = time.thread_time()
        return read

    def document_frequency(self, fieldname: str, text: str) -> int:
        """Live documents holding the term. Whoosh's doc_frequency also
        counts the old copies of replaced documents, so once an index has
        deletions the (cached) posting list is counted instead."""
        if not self.stats.has_deletions:
            return self.reader.doc_frequency(fieldname, text)
        ids = self.postings(fieldname, text).ids
        return int(self.stats.live[ids].sum())

    def _term_scores(self, term: ScoringTerm) -> tuple[np.ndarray, np.ndarray]:
        ids, tf, _ = self.postings(term.field, term.text)
        if not len(ids):
            return ids, tf
        stats = self.stats
        df = int(stats.live[ids].sum()) if stats.has_deletions else len(ids)
        idf = self._idf(df)
        b = FIELD_B.get(term.field, DEFAULT_B)
        norm = (1.0 - b) + b * (stats.lengths[term.field][ids] / stats.average_length[term.field])
        return ids, (term.weight * idf) * tf * (K1 + 1.0) / (tf + K1 * norm)

    def occurrences(self, fieldname: str, text: str) -> Occurrences:
        """Every (document, position) of a term (phrases)."""
        return self.reader.occurrences(fieldname, text)

    def _phrase_mask(self, syllables: list[str]) -> np.ndarray:
        """Documents holding the folded phrase in any text field."""
        mask = np.zeros(self.stats.size, bool)
        for name in TEXT_FIELDS:
            mask[phrase_documents([self.occurrences(name + "_f", s) for s in syllables])] = True
        return mask

    def word_frequency(self, word: str) -> int:
        """Documents whose headline or body holds ``word`` as written
        (lowercase): whether a query word is one the articles use."""
        return self.reader.doc_frequency("body", word) + self.reader.doc_frequency("title", word)

    def folded_frequency(self, syllable: str) -> int:
        """Documents whose headline or body holds a folded syllable."""
        return self.reader.doc_frequency("body_f", syllable) + self.reader.doc_frequency("title_f", syllable)

    def is_word_pair(self, first: str, second: str) -> bool:
        """Whether two folded syllables stand inside one pyvi word in some
        article bodies (their bigram is kept there only inside words)."""
        needed = documents_needed(WORD_PAIR_DOCUMENTS, self.stats.live_count, 10_000)
        return self.reader.doc_frequency("body_f", first + JOINER + second) >= needed

    def _in_any_field(self, text: str, suffix: str) -> np.ndarray:
        """Documents holding a term in any text field (exact or ``_f``)."""
        mask = np.zeros(self.stats.size, bool)
        for name in TEXT_FIELDS:
            mask[self.postings(name + suffix, text).ids] = True
        return mask

    def unit_mask(self, unit: Unit) -> np.ndarray:
        """Documents holding a query word: its syllables side by side
        (their folded bigrams; a body keeps those inside pyvi words only),
        and each syllable typed with diacritics in that spelling. A word of
        three or more syllables needs all of them and at least one of its
        pairs side by side: a document's pyvi may cut it elsewhere
        (``phạm tội_ác`` for the query's ``phạm_tội ác``)."""
        folded = [fold_term(syllable) for syllable, _ in unit]
        if len(folded) == 1:
            mask = self._in_any_field(folded[0], "_f")
        else:
            pairs = [self._in_any_field(first + JOINER + second, "_f") for first, second in zip(folded, folded[1:])]
            if len(pairs) == 1:
                mask = pairs[0]
            else:
                mask = np.logical_or.reduce(pairs)
                for syllable in folded:
                    mask &= self._in_any_field(syllable, "_f")
        for syllable, exact in unit:
            if exact:
                mask &= self._in_any_field(syllable, "")
        return mask

    def words_held(self, words: list[str], documents: np.ndarray, suffix: str = "") -> np.ndarray:
        """How many of ``words`` each of ``documents`` holds in any text
        field, as written (``suffix`` ``""``) or folded (``"_f"``): a binary
        search in each posting list (ascending), for a few candidates."""
        held = np.zeros(len(documents), np.int32)
        for word in words:
            holds = np.zeros(len(documents), bool)
            for name in TEXT_FIELDS:
                ids = self.postings(name + suffix, word).ids
                if len(ids):
                    holds |= ids[np.minimum(np.searchsorted(ids, documents), len(ids) - 1)] == documents
            held += holds
        return held

    def word_mask(self, word: QueryWord) -> np.ndarray:
        mask = np.zeros(self.stats.size, bool)
        for reading in word.readings:
            in_reading = np.ones(self.stats.size, bool)
            for unit in reading:
                in_reading &= self.unit_mask(unit)
            mask |= in_reading
        return mask

    def word_frequency_of(self, word: QueryWord) -> int:
        """How many documents' bodies hold the word as typed: cheap (one
        term lookup), and enough to tell a very common word."""
        unit = word.readings[0][0]
        if len(unit) > 1:
            return self.document_frequency("body_f", fold_term(unit[0][0]) + JOINER + fold_term(unit[1][0]))
        syllable, exact = unit[0]
        return self.document_frequency("body" if exact else "body_f", syllable if exact else fold_term(syllable))

    def common_words(
        self, words: list[QueryWord], common_fraction: float = COMMON_FRACTION
    ) -> tuple[list[int], list[bool]]:
        """Each query word's document count (``word_frequency_of``), and
        whether it is too common to decide membership (in more than
        ``common_fraction`` of the documents)."""
        threshold = common_fraction * self.stats.live_count
        frequencies = [self.word_frequency_of(word) for word in words]
        return frequencies, [count > threshold for count in frequencies]

    def membership(
        self, words: list[QueryWord], allowed: np.ndarray, common_fraction: float = COMMON_FRACTION, phrases: bool = False,
    ) -> Membership:
        """The result set (``matching.members``) among ``allowed`` documents
        (which hold the query's ``phrases``, if it has any)."""
        frequencies, common = self.common_words(words, common_fraction)
        masks = [self.word_mask(word) if not is_common or all(common) else None for word, is_common in zip(words, common)]
        rare = documents_needed(MIN_DECIDING_DOCUMENTS, self.stats.live_count, 5000)
        held = [int(mask.sum()) if mask is not None else count for mask, count in zip(masks, frequencies)]
        can_decide = [(count >= rare or word.name) and not any(c.isdigit() for c in word.shown)
                      for word, count in zip(words, held)]
        return members([m if m is not None else np.zeros(0, bool) for m in masks], common, allowed,
                       phrases=phrases, can_decide=can_decide, names=[word.name for word in words])

    def ranking_scores(self, plan: ScoringPlan, common_fraction: float = COMMON_FRACTION) -> tuple[np.ndarray, bool]:
        """Every document's score for a plan (BM25F times coordination and
        proximity), and whether the plan has words that score (a plan of
        phrases only has none)."""
        size = self.stats.size
        scores = np.zeros(size, np.float32)
        frequencies = {g.common_probe: self.document_frequency(g.common_probe.field, g.common_probe.text)
                       for g in plan.groups if g.common_probe is not None}
        groups, common_groups = self._useful_groups(plan.groups, common_fraction, frequencies)
        common = {g.folded for g in common_groups}
        coverage = _Coverage(size)
        for group in groups:
            self._score_group(group, scores, coverage, frequencies)
        if common_groups:
            # Common words rank what the rest of the query finds; alone they
            # find nothing (a typo beside them still gets "no results" and
            # the suggestion's results).
            matched = scores > 0
            for group in common_groups:
                in_common_fields = replace(group, terms=[t for t in group.terms if t.field in COMMON_FIELDS])
                self._score_group(in_common_fields, scores, coverage, frequencies, within=matched)
        scores *= coverage.factor() * self._proximity(plan.runs, common)
        return scores, bool(groups)

    def _form_weights(self, typed: tuple[tuple[str, ...], ...], other: tuple[tuple[str, ...], ...],
                      common_fraction: float, factors: bool) -> tuple[float, float]:
        """How much more an article writing ``typed`` scores than one
        writing ``other``, and how much more the typed form's words weigh
        in coordination (their IDF): CSGT is one rare term, "cảnh sát giao
        thông" four common syllables and three pairs in every field. With
        ``factors`` (a query that is nothing but the form), the best
        article of each form searched alone, factors included; without, by
        BM25F, an article holding each of the form's terms once (read from
        the term table: a first search of a form read every posting list
        of both forms, +4 ms at p95 on the MDS queries' first pass).
        Remembered: the same forms come back query after query."""
        key = (typed, other, common_fraction, factors)
        found = self._form_weights_seen.get(key)
        if found is None:
            best, mass = [], []
            for runs in (typed, other):
                words = [list(run) for run in runs]
                plan = build_plan(ParsedQuery(words=words, cased_words=words))
                if factors:
                    scores, _ = self.ranking_scores(plan, common_fraction)
                    best.append(float(scores.max()) if len(scores) else 0.0)
                else:  # an article holding each of its terms once: no posting list read
                    best.append(sum(term.weight * self._idf(df) for group in plan.groups for term in group.terms
                                    if (df := self.document_frequency(term.field, term.text))))
                mass.append(sum(self._idf(self.document_frequency(g.common_probe.field, g.common_probe.text))
                                for g in plan.groups if g.counts and g.common_probe is not None))
            found = (best[0] / best[1] if min(best) > 0 else 1.0, mass[0] / mass[1] if min(mass) > 0 else 1.0)
            if len(self._form_weights_seen) >= 4096:
                self._form_weights_seen.clear()
            self._form_weights_seen[key] = found
        return found

    def _rewording_scores(self, rewording: Rewording, common_fraction: float) -> np.ndarray:
        """Every document's score for the query written another way, on the
        scale of the query as typed: an article writing the other form
        scores as it would in the reader's wording, times the rewording's
        weight; an article not writing it gains nothing (it holds "hàng" of
        "Hàng không Việt Nam", not the airline). A query that is nothing
        but the form (``CSGT``) is scaled whole, factors included: there
        the four syllables of "cảnh sát giao thông" would also win by the
        pairs the reader never typed. In a longer query only the form's
        own terms are reweighed, its words count in coordination as much
        as the typed ones, and the rest of the query counts as typed."""
        plan = rewording.plan
        whole = len(rewording.span) == len(plan.groups)
        ratio, share = self._form_weights(rewording.typed, rewording.other, common_fraction, whole)
        weight = rewording.weight * ratio
        if whole:
            scores, _ = self.ranking_scores(plan, common_fraction)
            scores *= np.float32(weight)
        else:
            groups = list(plan.groups)
            for index in rewording.span:
                terms = [replace(term, weight=term.weight * weight) for term in groups[index].terms]
                # Its words count in coordination as the typed form's; the
                # pairs inside it are no pairs the reader typed.
                groups[index] = replace(groups[index], terms=terms, share=share if groups[index].counts else 0.0)
            scores, _ = self.ranking_scores(replace(plan, groups=groups), common_fraction)
        holds = np.ones(self.stats.size, bool)
        for unit in rewording.form:
            holds &= self.unit_mask(unit)
        scores[~holds] = 0.0
        return scores

    def run(
        self,
        plan: ScoringPlan,
        limit: int,
        filters: list[tuple[str, str]],
        by_date: bool = False,
        common_fraction: float = COMMON_FRACTION,
        date_bounds: tuple[int | None, int | None] | None = None,
        rewordings: list[Rewording] = (),
        stories: StoryMap | None = None,
        related: StoryMap | None = None,
    ) -> Ranking:
        """Top ``limit`` document numbers with their scores, the size of the
        result set, how it was decided, and how many of its documents have
        no date (a :class:`Ranking`). ``date_bounds`` are inclusive
        ``published`` column values. With ``stories`` the top documents are
        the leads of the best ``limit`` stories: each story's first article
        in the order asked for (on equal scores, the earliest). ``related``
        (the same map, grouping or not) admits the articles related to the
        best members (``_related_to_best``).
        ``rewordings`` are the query written another way (an abbreviation
        spelled out): a document scores the best of the query and its
        rewordings (``_rewording_scores``). An article that writes ``Việt
        Nam`` ranks for ``ở VN có`` as it would for ``ở Việt Nam có``, times
        the rewording's weight: below an equal article that writes ``VN``,
        above one that holds ``VN`` and little else of the query."""
        scores, scoring = self.ranking_scores(plan, common_fraction)
        for rewording in rewordings:
            np.maximum(scores, self._rewording_scores(rewording, common_fraction), out=scores)
        allowed = self.stats.live.copy()
        for phrase in plan.excluded_phrases:
            allowed &= ~self._phrase_mask(phrase)
        for word in plan.excluded_words:
            allowed &= ~self._in_any_field(word, "")
        for fieldname, value in filters:
            held = np.zeros(self.stats.size, bool)
            held[self.reader.term_documents(fieldname, value)] = True
            allowed &= held
        if date_bounds is not None:
            allowed &= self._in_dates(*date_bounds)
        filtered = allowed.copy()  # what the reader excluded or filtered out; phrases pick matches only
        for phrase in plan.required:
            allowed &= self._phrase_mask(phrase)
        if not scoring and plan.required:  # only phrases: every phrase match counts
            scores[allowed] += 1.0
        membership = None
        if plan.words:
            membership = self.membership(plan.words, allowed, common_fraction, phrases=bool(plan.required))
            if not membership.mask.any() and any(len(unit) > 1 for word in plan.words for unit in word.units):
                # No document holds the words as words: their syllables
                # anywhere will do, and the plan (built for this search)
                # says so, so that the same syllables are marked.
                plan.words = as_syllables(plan.words)
                membership = replace(self.membership(plan.words, allowed, common_fraction, phrases=bool(plan.required)),
                                     relaxed=True, as_syllables=True)
            in_set = membership.mask
            best = float(scores[in_set].max()) if in_set.any() else 0.0
            if best > 0:
                # What the ranking puts next to the best match belongs with
                # it, whichever word it lacks (a headline that words the
                # story differently), but the rarest name: a drone strike in
                # Iraq is no answer to one in Syria however well it matches.
                near = allowed & (scores >= NEAR_BEST * best)
                if membership.rarest_name is not None:
                    near &= membership.rarest_name
                in_set = in_set | near
                if related is not None:
                    in_set |= self._related_to_best(related, in_set, scores, allowed, plan.runs)
            # A member matched only through a spelling variant still ranks.
            scores[in_set & (scores <= 0)] = np.float32(1e-6)
        else:
            in_set = allowed & (scores > 0)
        scores[~in_set] = 0.0
        candidates = np.flatnonzero(in_set)
        total = len(candidates)
        undated = int((self.stats.published[candidates] == 0).sum())
        published = self.stats.published
        story_count = total
        if stories is not None:
            # Every candidate ranked, then each story's first kept: a few ms
            # for the largest sets (corpus C's 58,443 documents).
            if by_date:
                ranked = candidates[np.lexsort((-scores[candidates], -published[candidates]))]
            else:
                earliest = np.where(published[candidates] > 0, published[candidates], np.iinfo(np.int64).max)
                ranked = candidates[np.lexsort((earliest, -scores[candidates]))]
            leads = ranked[stories.first_of_each(ranked)]
            story_count = len(leads)
            top = leads[:limit]
        elif by_date:
            order = np.lexsort((-scores[candidates], -published[candidates]))
            top = candidates[order[:limit]]
        else:
            top = _best(candidates, scores, limit)
        return Ranking(top, scores[top], total, membership, undated, candidates, filtered, story_count)

    def _related_to_best(
        self, stories: StoryMap, in_set: np.ndarray, scores: np.ndarray, allowed: np.ndarray, runs: list[list[str]],
    ) -> np.ndarray:
        """The articles related to one of the set's ``RELATED_FROM`` best
        (``stories.RELATED``: reports of the same event, close in time, too
        unlike to be one story) that the filters allow and that hold
        ``RELATED_SHARE`` of the query's (folded) syllables."""
        admitted = np.zeros(self.stats.size, bool)
        others = stories.related(_best(np.flatnonzero(in_set), scores, RELATED_FROM))
        others = others[allowed[others] & ~in_set[others]]
        syllables = sorted({syllable for run in runs for syllable in run})
        if not len(others) or not syllables:
            return admitted
        held = self.words_held(syllables, others, "_f")
        admitted[others[held >= RELATED_SHARE * len(syllables)]] = True
        return admitted

    def _in_dates(self, first: int | None, last: int | None) -> np.ndarray:
        """Documents published between two ``published`` column values
        (inclusive); undated documents are outside every range."""
        published = self.stats.published
        mask = published > 0
        if first is not None:
            mask &= published >= first
        if last is not None:
            mask &= published <= last
        return mask

    def _score_group(
        self, group: TermGroup, scores: np.ndarray, coverage: _Coverage, frequencies: dict,
        within: np.ndarray | None = None,
    ) -> None:
        """Add a group's term scores (only for documents ``within``, if
        given) and record which documents it hit, and where."""
        size = self.stats.size
        hit = np.zeros(size, bool)
        in_title = np.zeros(size, bool)
        for term in group.terms:
            ids, contribution = self._term_scores(term)
            if within is not None and len(ids):
                keep = within[ids]
                ids, contribution = ids[keep], contribution[keep]
            if len(ids):
                scores[ids] += contribution
                hit[ids] = True
                if term.field in TITLE_FIELDS:
                    in_title[ids] = True
        coverage.add(group, self._idf(frequencies[group.common_probe]) if group.common_probe else 1.0, hit, in_title)

    def _proximity(self, runs: list[list[str]], common: set[str]) -> np.ndarray | float:
        """Per document, 1 + how closely the query's adjacent syllables
        follow one another in the fields of ``PROXIMITY_WEIGHTS``. Outside
        the headline, pairs with a ``common`` syllable (của, và, ...) are
        left out: there their posting lists are the longest of all (they
        would crowd the posting cache), and their adjacency already scores
        as a bigram term."""
        pairs = [(a, b) for run in runs for a, b in zip(run, run[1:]) if a != b]
        if not pairs:
            return 1.0
        size = self.stats.size
        boost = np.ones(size, np.float32)
        for fieldname, weight in PROXIMITY_WEIGHTS.items():
            near = np.zeros(size, np.float32)
            for first, second in pairs:
                if fieldname not in TITLE_FIELDS and (first in common or second in common):
                    continue
                a, b = self.postings(fieldname, first), self.postings(fieldname, second)
                near += closeness(a.ids, a.first, b.ids, b.first, size)
            boost += (weight / len(pairs)) * near
        return boost

    def _idf(self, df: int) -> float:
        return math.log(1.0 + (self.stats.live_count - df + 0.5) / (df + 0.5))

    def _useful_groups(
        self, groups: list[TermGroup], common_fraction: float, frequencies: dict
    ) -> tuple[list[TermGroup], list[TermGroup]]:
        """Split off the words found in more than ``common_fraction`` of the
        documents (của, và, ngày, ...) when the query has rarer ones: they
        are scored in the headline and lead only (``COMMON_FIELDS``), where
        they still say what an article is about, and not in its body, where
        their posting lists are the longest and say next to nothing. In the
        body they still count through the pair terms (``cua_toi``)."""
        threshold = common_fraction * self.stats.live_count
        useful, common = [], []
        for group in groups:
            probe = group.common_probe
            if probe is not None and frequencies[probe] > threshold:
                common.append(group)
            else:
                useful.append(group)
        if not any(g.counts for g in useful):
            return groups, []
        return useful, common
