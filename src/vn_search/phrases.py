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

import numpy as np

from vn_search.storage.postings import Occurrences

__all__ = ["Occurrences", "phrase_documents"]


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
