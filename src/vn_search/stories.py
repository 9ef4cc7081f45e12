"""Which articles report the same story: republished copies of one text,
and different outlets' reports of one event, close in time.

A results page shows each story once, under its lead article, with the
other articles listed as "N bài cùng sự kiện" (``engine.search``).

Stories are computed at index time. Every article leaves a *signature*:
the hashed exact terms (syllables and pyvi words) of its headline, summary
and body. Two reports are of the same event when both are dated, they
appeared within :data:`WINDOW_SECONDS` of each other, and the words they
share, each weighted by how rare it is in the index (idf), make up a large
part of both (a cosine over the rare-word vectors, :data:`SIMILAR`). A
republished copy (the same headline, and :data:`COPY` of the words) is the
same story whenever it appeared, dated or not; an undated article is
grouped with its copies only, since nothing says it is close in time.
Pairs join into stories strongest first, and two stories join only when
their articles are alike on average (:func:`group`), so a chain of weak
likenesses never makes one story.

Signatures are kept in the generation (``stories.npz``, numpy arrays
without pickle), so an update regroups the whole index from the stored
signatures and the new articles' ones, without reading old articles
again. Terms too common to link a story are not kept (:data:`KEPT_SHARE`).

    >>> day = 24 * 3600
    >>> sigs = Signatures()
    >>> sigs.add("a", 100 * day, signature(["biểu_tình", "cnrp"], ["phnom_penh", "đối_lập"]))
    >>> sigs.add("b", 101 * day, signature(["cnrp", "biểu_tình"], ["phnom_penh", "hun_sen"]))
    >>> sigs.add("c", 101 * day, signature(["giá", "vàng"], ["sjc", "tăng"]))
    >>> [int(label) for label in group(sigs)]
    [0, 0, 2]
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from vn_search.analysis.fold import fold_text

__all__ = [
    "MAX_SAME_STORY", "RELATED", "STORIES_FILE", "Signatures", "StoryMap", "group", "group_and_relate", "headline_key",
    "load_signatures", "load_story_map", "save_stories", "signature", "stories_by_number", "story_numbers",
]

STORIES_FILE = "stories.npz"
MAX_SAME_STORY = 20  # articles listed under a story's lead (``Hit.same_story``)
# Cosine over idf-weighted rare words at which two articles are one story
# (bench/story_groups.py: pairwise precision and the clusters' articles on
# page 1, on the MDS set indexed alone and inside corpus C).
SIMILAR = 0.27
COPY = 0.80  # a republished copy: grouped whenever it appeared
# Two reports share at least this many rare words: two short items (a
# cartoon's caption, a one-line brief) can be "alike" on one or two. At 5,
# corpus C lost a quarter of its MDS pairs for no gain in precision.
MIN_SHARED_WORDS = 3
WINDOW_SECONDS = 3 * 24 * 3600  # dated reports of one event appear within days
# Cosine at which two reports close in time are *related*: too unlike to be
# listed as one story, alike enough that an article related to one of a
# search's best results belongs in its result set (Scorer.run). On corpus
# C's MDS labels (bench/relevance.py), 0.15 took recall in set from 0.871
# to 0.948 with junk@10 under date sort 0.024 -> 0.022; in a simulation over
# the same pairs (not the engine), 0.25 kept about 0.01 less recall.
RELATED = 0.15
# Words in more than this share of the articles carry no story: they are
# left out of the pairs (and would make every pair of articles a candidate).
# On corpus C, 0.002 (terms in up to 117 of 58,443 articles) grouped MDS
# articles of different events (pairwise precision 0.925); 0.001 gives 0.949
# at the same threshold, and the MDS set alone (up to 12) is unchanged.
COMMON_SHARE = 0.001
MIN_COMMON_DOCUMENTS = 12  # ... but in a small index a story's own words may be in a dozen
_HEADLINE_MARK = 1  # the headline's terms again, hashed from another start value
# Terms kept per article for later updates: all but those too common to
# matter even once the index has grown a few times.
KEPT_SHARE = 4 * COMMON_SHARE
_PAIRS_PER_SLICE = 2_000_000  # candidate pairs made at once (memory: ~50 MB)
_MAX_SAME_HEADLINE = 50  # articles of one headline compared for copies ("Giá vàng hôm nay")
_WORD = re.compile(r"\w+")


def signature(headline: Iterable[str], *others: Iterable[str]) -> np.ndarray:
    """An article's distinct terms as sorted 32-bit hashes (stable across
    processes, unlike ``hash``). The headline's terms count twice (once
    more under a mark): a headline names the event, and on the MDS set
    this took pairwise precision from 0.93 to 0.97 at the same recall."""
    crc = zlib.crc32
    headline = set(headline)
    values = [crc(term.encode("utf-8")) for term in headline.union(*others)]
    values += [crc(term.encode("utf-8"), _HEADLINE_MARK) for term in headline]
    return np.unique(np.array(values, np.uint32))


def headline_key(headline: str) -> int:
    """A headline's words, folded, as a 32-bit hash: a republished copy
    keeps its headline, whatever punctuation or case the aggregator gives
    it. 0 for no headline."""
    words = _WORD.findall(fold_text(headline).lower())
    return zlib.crc32(" ".join(words).encode("utf-8")) if words else 0


@dataclass
class Signatures:
    """The signatures of a set of articles: id, publication time (seconds
    since the epoch, 0 when undated), hashed terms and headline key."""

    ids: list[str] = field(default_factory=list)
    published: list[int] = field(default_factory=list)
    hashes: list[np.ndarray] = field(default_factory=list)
    headlines: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, doc_id: str, published: int, hashes: np.ndarray, headline: int = 0) -> None:
        self.ids.append(doc_id)
        self.published.append(int(published))
        self.hashes.append(hashes)
        self.headlines.append(int(headline))

    def extend(self, other: "Signatures") -> None:
        self.ids += other.ids
        self.published += other.published
        self.hashes += other.hashes
        self.headlines += other.headlines

    def _subset(self, keep: list[int], hashes: list[np.ndarray] | None = None) -> "Signatures":
        return Signatures([self.ids[i] for i in keep], [self.published[i] for i in keep],
                          hashes if hashes is not None else [self.hashes[i] for i in keep],
                          [self.headlines[i] for i in keep])

    def without(self, ids: set[str]) -> "Signatures":
        """These signatures less the articles in ``ids`` (indexed again)."""
        return self._subset([i for i, doc_id in enumerate(self.ids) if doc_id not in ids])

    def arrays(self) -> dict[str, np.ndarray]:
        sizes = np.fromiter((len(h) for h in self.hashes), np.int64, len(self.hashes))
        return {
            "ids": np.array(self.ids, dtype=str) if self.ids else np.zeros(0, "<U1"),
            "published": np.array(self.published, np.int64),
            "offsets": np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            "hashes": np.concatenate(self.hashes).astype(np.uint32) if self.hashes else np.zeros(0, np.uint32),
            "headlines": np.array(self.headlines, np.uint32),
        }

    @classmethod
    def from_arrays(cls, arrays, source: str) -> "Signatures":
        names = ("ids", "published", "offsets", "hashes", "headlines")
        try:
            ids, published, offsets, hashes, headlines = (arrays[name] for name in names)
        except KeyError as missing:
            raise ValueError(f"{source}: not a stories file (no {missing} array)") from None
        if (len(offsets) != len(ids) + 1 or len(published) != len(ids) or len(headlines) != len(ids)
                or (len(ids) and offsets[-1] != len(hashes))):
            raise ValueError(f"{source}: stories file arrays do not agree in length")
        return cls([str(i) for i in ids], published.tolist(),
                   np.split(hashes, offsets[1:-1]) if len(ids) else [], headlines.tolist())

    def uncommon(self) -> "Signatures":
        """Each article's terms less those too common to ever link a story
        (in more than :data:`KEPT_SHARE` of these articles): what a later
        update needs to find its story again, in a fraction of the space."""
        docs, term, df, _ = _weights(self)
        keep = df[term] <= max(MIN_COMMON_DOCUMENTS, KEPT_SHARE * len(self))
        hashes = np.concatenate(self.hashes) if len(docs) else np.zeros(0, np.uint32)
        sizes = np.bincount(docs[keep], minlength=len(self))
        kept = np.split(hashes[keep], np.cumsum(sizes)[:-1]) if len(self) else []
        return self._subset(list(range(len(self))), kept)

    def save(self, path: Path, **extra: np.ndarray) -> None:
        with open(path, "wb") as out:
            np.savez(out, **self.arrays(), **extra)

    @classmethod
    def load(cls, path: Path) -> "Signatures":
        with np.load(path, allow_pickle=False) as arrays:
            return cls.from_arrays(arrays, str(path))


def _weights(signatures: Signatures) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (article, term) posting as parallel arrays, with each term's
    document frequency and idf."""
    count = len(signatures)
    sizes = np.fromiter((len(h) for h in signatures.hashes), np.int64, count)
    docs = np.repeat(np.arange(count, dtype=np.int64), sizes)
    hashes = np.concatenate(signatures.hashes) if count else np.zeros(0, np.uint32)
    _, term, df = np.unique(hashes, return_inverse=True, return_counts=True)
    idf = np.log(count / df).astype(np.float64)
    return docs, term.ravel(), df, idf


def _pairs(docs: np.ndarray, term: np.ndarray, weight: np.ndarray,
           published: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of articles published within :data:`WINDOW_SECONDS` of
    each other that share a term of these postings, with the sum of the
    squared weights of the terms they share and how many they share:
    (first, second, dot, shared). Made a slice at a time, so memory stays
    bounded whatever the index."""
    order = np.lexsort((docs, term))
    docs, term, weight = docs[order], term[order], weight[order]
    starts = np.flatnonzero(np.r_[True, term[1:] != term[:-1]]) if len(term) else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[starts, len(term)])
    firsts, seconds, dots = [], [], []
    for size in np.unique(sizes):
        if size < 2:
            continue
        left, right = np.triu_indices(size, 1)
        begins = starts[sizes == size]
        step = max(1, _PAIRS_PER_SLICE // len(left))
        for at in range(0, len(begins), step):
            begin = begins[at:at + step]
            members = docs[begin[:, None] + np.arange(size)]  # one row per term
            a, b = members[:, left].ravel(), members[:, right].ravel()
            close = np.abs(published[a] - published[b]) <= WINDOW_SECONDS
            firsts.append(a[close])
            seconds.append(b[close])
            dots.append(np.repeat(weight[begin] ** 2, len(left))[close])
    if not firsts:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0), empty
    first, second, dot = np.concatenate(firsts), np.concatenate(seconds), np.concatenate(dots)
    key, inverse = np.unique(first << 32 | second, return_inverse=True)
    inverse = inverse.ravel()
    return key >> 32, key & 0xFFFFFFFF, np.bincount(inverse, weights=dot), np.bincount(inverse)


def _same_headline(signatures: Signatures) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of articles with the same headline (by :func:`headline_key`):
    the candidates for a copy republished days later, or without a date."""
    keys = np.array(signatures.headlines, np.int64)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(keys)]
    firsts, seconds = [], []
    for start, end in zip(starts.tolist(), ends.tolist()):
        if keys[start] == 0 or end - start < 2:
            continue
        members = np.sort(order[start:min(end, start + _MAX_SAME_HEADLINE)])
        left, right = np.triu_indices(len(members), 1)
        firsts.append(members[left])
        seconds.append(members[right])
    if not firsts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


def similar_pairs(signatures: Signatures) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs of articles (indexes into ``signatures``): dated
    articles close in time sharing a rare word, and articles with the same
    headline. Each with two cosines over their idf-weighted rare words:
    over the words some other article also has (how alike two reports of
    an event are: an article's words found nowhere else say nothing about
    its story), and over all of them (how close to a copy they are); and
    how many rare words they share."""
    count = len(signatures)
    docs, term, df, idf = _weights(signatures)
    empty = np.zeros(0, np.int64)
    if not len(docs):
        return empty, empty, np.zeros(0), np.zeros(0), empty
    common = max(MIN_COMMON_DOCUMENTS, COMMON_SHARE * count)
    rare = df[term] <= common
    shared = rare & (df[term] >= 2)
    squares = idf[term] ** 2
    norms = np.sqrt(np.bincount(docs[shared], weights=squares[shared], minlength=count))
    full_norms = np.sqrt(np.bincount(docs[rare], weights=squares[rare], minlength=count))
    published = np.array(signatures.published, np.int64)
    dated = shared & (published[docs] > 0)
    first, second, dot, together = _pairs(docs[dated], term[dated], idf[term[dated]], published)
    # Same headline: the dot product of each pair, from the two articles' terms.
    copy_first, copy_second = _same_headline(signatures)
    if len(copy_first):
        bounds = np.r_[0, np.cumsum(np.bincount(docs, minlength=count))]
        weight = np.where(shared, idf[term], 0.0)
        copy_dot, copy_together = [], []
        for a, b in zip(copy_first.tolist(), copy_second.tolist(), strict=True):
            common_terms = np.isin(term[bounds[a]:bounds[a + 1]], term[bounds[b]:bounds[b + 1]], assume_unique=True)
            copy_dot.append(float(np.sum(weight[bounds[a]:bounds[a + 1]][common_terms] ** 2)))
            copy_together.append(int(np.count_nonzero(common_terms & shared[bounds[a]:bounds[a + 1]])))
        first, second = np.concatenate([first, copy_first]), np.concatenate([second, copy_second])
        dot, together = np.concatenate([dot, copy_dot]), np.concatenate([together, copy_together])
        _, unique = np.unique(first << 32 | second, return_index=True)
        first, second, dot, together = first[unique], second[unique], dot[unique], together[unique]
    cosine = dot / np.maximum(norms[first] * norms[second], 1e-9)
    copy = dot / np.maximum(full_norms[first] * full_norms[second], 1e-9)
    return first, second, cosine, copy, together


def group(signatures: Signatures, minimum_documents: int = 2) -> np.ndarray:
    """Each article's story, as the index of the story's first article in
    ``signatures``; an article alone is its own story. With fewer than
    ``minimum_documents`` articles nothing is grouped."""
    return group_and_relate(signatures, minimum_documents)[0]


def group_and_relate(
    signatures: Signatures, minimum_documents: int = 2,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """:func:`group`'s stories, and the pairs of related reports (indexes
    into ``signatures``): close in time, sharing rare words, alike at
    :data:`RELATED` or more."""
    count = len(signatures)
    labels = np.arange(count, dtype=np.int64)
    empty = np.zeros(0, np.int64)
    if count < max(2, minimum_documents):
        return labels, (empty, empty)
    first, second, cosine, copy, together = similar_pairs(signatures)
    published = np.array(signatures.published, np.int64)
    dated = (published[first] > 0) & (published[second] > 0)
    close = dated & (np.abs(published[first] - published[second]) <= WINDOW_SECONDS) & (together >= MIN_SHARED_WORDS)
    edge = (copy >= COPY) | ((cosine >= SIMILAR) & close)
    related = close & (cosine >= RELATED)
    return _average_linkage(count, first[edge], second[edge], cosine[edge]), (first[related], second[related])


def _average_linkage(count: int, first: np.ndarray, second: np.ndarray, cosine: np.ndarray) -> np.ndarray:
    """Join articles into stories, strongest pair first; two stories join
    only when their articles are alike on average (pairs with no shared
    rare word count as 0), so a chain of weak links (a protest, a protest
    in another country, that country's election) never makes one story."""
    similarity = {(a, b): c for a, b, c in zip(first.tolist(), second.tolist(), cosine.tolist(), strict=True)}
    members: dict[int, list[int]] = {}
    label = list(range(count))
    for index in np.argsort(-cosine, kind="stable").tolist():
        a, b = label[first[index]], label[second[index]]
        if a == b:
            continue
        left, right = members.get(a, [a]), members.get(b, [b])
        total = sum(similarity.get((x, y) if x < y else (y, x), 0.0) for x in left for y in right)
        if total < SIMILAR * len(left) * len(right):
            continue
        keep, gone = min(a, b), max(a, b)
        joined = left + right
        for node in members.pop(gone, [gone]):
            label[node] = keep
        members[keep] = joined
    return np.array(label, np.int64)


class StoryMap:
    """A generation's stories by document number: ``story[docnum]`` is a
    story label shared by the articles of one story (a document alone, or
    a related item, has a label of its own); and which articles are related
    (:data:`RELATED`), as pairs of document numbers."""

    def __init__(self, story: np.ndarray, related: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.story = story
        first, second = related if related is not None else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        # Both directions, sorted by the first: each document's related ones are a slice.
        ends = np.concatenate([first, second]).astype(np.int64)
        others = np.concatenate([second, first]).astype(np.int64)
        order = np.argsort(ends, kind="stable")
        self._related_from, self._related_to = ends[order], others[order]
        order = np.argsort(story, kind="stable")
        self._sorted = order
        labels = story[order]
        self._starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]]) if len(labels) else np.zeros(0, np.int64)
        self._labels = labels[self._starts]
        self._ends = np.r_[self._starts[1:], len(labels)]

    @classmethod
    def alone(cls, size: int) -> "StoryMap":
        """Every document its own story (an index built before stories)."""
        return cls(np.arange(size, dtype=np.int64))

    def members(self, docnum: int) -> np.ndarray:
        """The document numbers of ``docnum``'s story, itself included."""
        at = int(np.searchsorted(self._labels, self.story[docnum]))
        return self._sorted[self._starts[at]:self._ends[at]]

    def first_of_each(self, ranked: np.ndarray) -> np.ndarray:
        """Positions in ``ranked`` (document numbers, best first) of the
        first document of each story: the story's lead under that order."""
        _, first = np.unique(self.story[ranked], return_index=True)
        return np.sort(first)

    def related(self, documents: np.ndarray) -> np.ndarray:
        """The documents related to any of ``documents`` (document numbers)."""
        if not len(self._related_from) or not len(documents):
            return np.zeros(0, np.int64)
        starts = np.searchsorted(self._related_from, documents, side="left")
        ends = np.searchsorted(self._related_from, documents, side="right")
        return np.unique(np.concatenate([self._related_to[a:b] for a, b in zip(starts.tolist(), ends.tolist())]))

    def count(self, documents: np.ndarray) -> int:
        """How many stories ``documents`` belong to."""
        return len(np.unique(self.story[documents]))


def story_numbers(signatures: Signatures, docnums: dict[str, int], size: int) -> np.ndarray:
    """The story of every document number of a generation of ``size``
    documents, whose live articles are ``docnums`` (id → number): the
    smallest document number in the story, so a document alone (a related
    item, an article that shares nothing) is its own story."""
    return stories_by_number(signatures, docnums, size)[0]


def stories_by_number(
    signatures: Signatures, docnums: dict[str, int], size: int,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """:func:`story_numbers`, and the related pairs (:func:`group_and_relate`) as document numbers."""
    story = np.arange(size, dtype=np.int64)
    labels, (first, second) = group_and_relate(signatures)
    numbers = np.fromiter((docnums.get(doc_id, -1) for doc_id in signatures.ids), np.int64, len(signatures))
    found = numbers >= 0
    live = found[first] & found[second]
    related = (numbers[first[live]], numbers[second[live]])
    labels, numbers = labels[found], numbers[found]
    if len(numbers):
        lead = np.full(int(labels.max()) + 1, size, np.int64)
        np.minimum.at(lead, labels, numbers)
        story[numbers] = lead[labels]
    return story, related


def save_stories(path: Path, signatures: Signatures, docnums: dict[str, int], size: int) -> None:
    """Group ``signatures`` into stories and write the generation's file:
    the story of every document number, the related pairs, and the
    signatures (their rarest terms) for the next update. ``path`` may be a
    hard link to the previous generation's file: it is replaced, never
    written through."""
    story, (first, second) = stories_by_number(signatures, docnums, size)
    temp = path.with_name(path.name + ".tmp")
    signatures.uncommon().save(temp, story=story, related_first=first.astype(np.int32),
                               related_second=second.astype(np.int32))
    temp.replace(path)


def load_signatures(path: Path) -> Signatures:
    """The signatures a generation kept, or none for a generation built
    before stories."""
    if not path.exists():
        return Signatures()
    return Signatures.load(path)


def load_story_map(path: Path, size: int) -> StoryMap:
    """A generation's stories; every document alone in a generation built
    before stories (or whose file does not match it)."""
    if path.exists():
        with np.load(path, allow_pickle=False) as arrays:
            story = arrays["story"] if "story" in arrays.files else None
            related = (arrays["related_first"], arrays["related_second"]) if "related_first" in arrays.files else None
        if story is not None and len(story) == size:
            return StoryMap(story.astype(np.int64), related)
    return StoryMap.alone(size)
