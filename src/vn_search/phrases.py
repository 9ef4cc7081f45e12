"""Quoted phrases matched with numpy over decoded positions.

Whoosh's phrase matcher intersects the syllables' posting lists one
document at a time and decodes every candidate's positions in Python: a
phrase of common syllables (``"Hà Nội"``, in a tenth of all articles) cost
60–80 ms, more than the rest of a search. Here each syllable's positions
are decoded once, block by block, into two arrays (document, position),
kept in the scorer's cache, and a phrase is a few sorted-array
intersections: the documents where syllable *k* sits at position *p + k*
for some position *p* of the first.

    >>> first = Occurrences(np.array([1, 1, 4]), np.array([3, 9, 0]))
    >>> second = Occurrences(np.array([1, 4]), np.array([10, 5]))
    >>> phrase_documents([first, second]).tolist()
    [1]

Positions are those the index keeps (``analysis/terms.py``): syllables
counted through a field, so the semantics are Whoosh's ``Phrase`` with the
default slop of 1, exactly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from vn_search.postings import blocks
from vn_search.positions import all_positions

__all__ = ["Occurrences", "occurrences", "phrase_documents"]


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


def _decode(ids: np.ndarray, values, fmt) -> Occurrences:
    """Occurrences from a run of postings' encoded values."""
    counts, positions = all_positions(fmt, values)
    return Occurrences(np.repeat(ids.astype(np.int32), counts), positions)


def occurrences(reader, fieldname: str, text: str) -> Occurrences:
    """Every occurrence of a term in the index (all segments), deleted
    documents included: the scorer masks those."""
    fmt = reader.schema[fieldname].format
    parts = [
        _decode(ids + base, values, fmt)
        for leaf, base in reader.leaf_readers()
        if (fieldname, text) in leaf
        for ids, _, values in blocks(leaf.postings(fieldname, text))
    ]
    if not parts:
        return Occurrences.empty()
    if len(parts) == 1:
        return parts[0]
    return Occurrences(np.concatenate([p.documents for p in parts]), np.concatenate([p.positions for p in parts]))


def phrase_documents(syllables: list[Occurrences]) -> np.ndarray:
    """Documents where the syllables stand in a row, in order."""
    if not syllables:
        return np.zeros(0, np.int64)
    # (document, position) as one key; occurrences come sorted by both, so
    # every key array is sorted and intersections need no sorting.
    first = syllables[0]
    keys = _keys(first.documents, first.positions)
    for offset, following in enumerate(syllables[1:], start=1):
        if not len(keys):
            break
        shifted = following.positions - offset
        usable = shifted >= 0
        keys = _sorted_common(keys, _keys(following.documents[usable], shifted[usable]))
    documents = keys >> 32
    if len(documents) > 1:
        documents = documents[np.concatenate(([True], documents[1:] != documents[:-1]))]
    return documents


def _keys(documents: np.ndarray, positions: np.ndarray) -> np.ndarray:
    return (documents.astype(np.int64) << 32) | positions.astype(np.int64)


def _sorted_common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values of sorted ``a`` that are in sorted ``b``, in order."""
    if len(a) > len(b):
        a, b = b, a
    at = np.searchsorted(b, a)
    found = at < len(b)
    found[found] = b[at[found]] == a[found]
    return a[found]
