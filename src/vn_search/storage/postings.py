"""Reading a term's posting list from the Whoosh index into numpy arrays.

Whoosh stores postings in blocks of up to 128 (document deltas, weights and,
for the folded fields, positions), pickled per block. Reading a block at a
time and decoding it with numpy costs a few Python calls per block instead
of several per posting, which is what makes term-at-a-time scoring in
``scoring.py`` fast (and ``phrases.py``'s). Rare terms are kept inline in
the term index by our segment writer; Whoosh hands those out as a list
matcher, read as one block.
"""

from __future__ import annotations

from itertools import chain, repeat
from typing import Iterator, NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import ListMatcher
from whoosh.matching.wrappers import FilterMatcher

from vn_search.storage.positions import all_positions, first_packed_positions, first_positions, run_sums

__all__ = ["Occurrences", "Postings", "blocks", "leaf_occurrences", "leaf_postings", "joined", "rebased"]


class Postings(NamedTuple):
    """One term's posting list over the whole index."""

    ids: np.ndarray  # global document numbers, ascending (32-bit: a third of a cached list)
    tf: np.ndarray  # term frequency per document
    first: np.ndarray | None  # first position per document, where asked for

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.tf.nbytes + (self.first.nbytes if self.first is not None else 0)


class Occurrences(NamedTuple):
    """Every occurrence of a term: document numbers (ascending) and, for
    each, one position (ascending within a document). 32-bit: common
    syllables occur hundreds of thousands of times, and these arrays share
    the scorer's posting cache."""

    documents: np.ndarray
    positions: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.documents.nbytes + self.positions.nbytes

    @classmethod
    def empty(cls) -> Occurrences:
        return cls(np.zeros(0, np.int32), np.zeros(0, np.int32))


def raw_matcher(matcher):
    """The segment's own matcher under Whoosh's filter for deleted
    documents: the scorer masks those itself (``CorpusStatistics.live``),
    and only the raw matcher can be read a block at a time."""
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    return matcher


def blocks(matcher) -> Iterator[tuple[np.ndarray, object, object]]:
    """A segment's postings of one term, deleted documents included, a
    block at a time: (document numbers, weights, encoded values), the
    weights and values as the W3 codec keeps them (weights None when all
    are 1, one number when all are equal)."""
    matcher = raw_matcher(matcher)
    if isinstance(matcher, W3LeafMatcher) and hasattr(matcher, "_data"):
        while matcher.is_active():
            matcher._read_data()
            raw_ids, weights, values = matcher._data
            ids = np.asarray(raw_ids).astype(np.int64)
            if not matcher._byteids:
                ids = np.cumsum(ids)  # delta-encoded from zero in each block
            yield ids, weights, values
            matcher._next_block()
    elif isinstance(matcher, ListMatcher):  # postings inlined in the term index
        if len(matcher._ids):
            yield np.asarray(matcher._ids, np.int64), matcher._weights, matcher._values
    else:
        ids, weights, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        if ids:
            yield np.asarray(ids, np.int64), weights, values


def _frequencies(weights, count: int) -> np.ndarray:
    if weights is None:
        return np.ones(count, np.float32)
    if isinstance(weights, float):
        return np.full(count, weights, np.float32)
    return np.asarray(weights, dtype=np.float32)


def leaf_postings(matcher, positions_format=None) -> Postings:
    """One segment's posting list, deleted documents included; first
    positions too when given the field's ``positions_format``."""
    leaf = raw_matcher(matcher)
    if isinstance(leaf, W3LeafMatcher) and hasattr(leaf, "_data") and not leaf._byteids:
        return _all_blocks(leaf, positions_format)
    ids_parts, tf_parts, first_parts = [], [], []
    for ids, weights, values in blocks(matcher):
        ids_parts.append(ids)
        tf_parts.append(_frequencies(weights, len(ids)))
        if positions_format is not None:
            first_parts.append(first_positions(positions_format, values))
    return joined(ids_parts, tf_parts, first_parts if positions_format is not None else None)


def _all_blocks(matcher: W3LeafMatcher, positions_format) -> Postings:
    """:func:`leaf_postings` for W3 blocks: every block read first, then
    decoded together, in a few numpy calls per list instead of ~10 per
    block (a list of 10,000 postings has 79 blocks)."""
    data = []
    while matcher.is_active():
        matcher._read_data()
        data.append(matcher._data)
        matcher._next_block()
    sizes = [len(block[0]) for block in data]
    total = sum(sizes)
    deltas = np.fromiter(chain.from_iterable(block[0] for block in data), np.int64, total)
    ids = run_sums(deltas, sizes)  # delta-encoded from zero in each block
    tf = np.fromiter(chain.from_iterable(_weights(block[1], size) for block, size in zip(data, sizes)), np.float32, total)
    first = None
    if positions_format is not None:
        values = [block[2] for block in data]
        if all(isinstance(v, bytes) for v in values):
            first = first_packed_positions(values, sizes)
        else:
            first = np.concatenate([first_positions(positions_format, v) for v in values]) if values else np.zeros(0, np.int32)
    return Postings(ids.astype(np.int32), tf, first)


def _weights(weights, count: int):
    """A block's weights as W3 keeps them (None: all 1; a number: all equal)."""
    if weights is None:
        return repeat(1.0, count)
    if isinstance(weights, float):
        return repeat(weights, count)
    return weights


def joined(ids_parts: list, tf_parts: list, first_parts: list | None) -> Postings:
    """One posting list from its parts (blocks or segments), in order."""
    if not ids_parts:
        return Postings(np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.int32) if first_parts is not None else None)
    first = np.concatenate(first_parts) if first_parts is not None else None
    return Postings(np.concatenate(ids_parts).astype(np.int32, copy=False), np.concatenate(tf_parts), first)


def rebased(parts: list[tuple[Postings, int]], with_first: bool) -> Postings:
    """One posting list over a generation from its segments' lists (local
    document numbers, as the segment cache keeps them) and the segments'
    document bases. A list held by one segment at base 0 is returned as
    it is; otherwise one array per column is filled, without temporaries."""
    held = [(part, base) for part, base in parts if len(part.ids)]
    if not held:
        return Postings(np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.int32) if with_first else None)
    if len(held) == 1 and held[0][1] == 0:
        return held[0][0]
    total = sum(len(part.ids) for part, _ in held)
    ids = np.empty(total, np.int32)
    start = 0
    for part, base in held:
        np.add(part.ids, base, out=ids[start:start + len(part.ids)], casting="unsafe")
        start += len(part.ids)
    tf = np.concatenate([part.tf for part, _ in held])
    first = np.concatenate([part.first for part, _ in held]) if with_first else None
    return Postings(ids, tf, first)


def leaf_occurrences(leaf, fieldname: str, text: str, fmt) -> Occurrences:
    """Every occurrence of a term in one segment, deleted documents
    included (the scorer masks those), ``fmt`` being the field's format."""
    if (fieldname, text) not in leaf:
        return Occurrences.empty()
    parts = []
    for ids, _, values in blocks(leaf.postings(fieldname, text)):
        counts, positions = all_positions(fmt, values)
        parts.append(Occurrences(np.repeat(ids.astype(np.int32), counts), positions))
    if not parts:
        return Occurrences.empty()
    if len(parts) == 1:
        return parts[0]
    return Occurrences(np.concatenate([p.documents for p in parts]), np.concatenate([p.positions for p in parts]))
