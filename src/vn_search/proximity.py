"""Do the typed syllables stand together, in the typed order?

BM25F (``scoring.py``) counts syllables, and adjacent pairs as bigram
terms, but not how far apart or in which order the query's syllables sit
otherwise. In Vietnamese that says a lot: a word is usually two or three
syllables and a topic several words in a row, so a headline where ``giá``,
``xăng`` and ``tăng`` stand a syllable or two apart, in that order, is about
what was typed; one that has them scattered is not. A query cut from a
headline (``Bắc Hà cán bộ``) keeps its words' order, with gaps.

The folded fields keep positions. Reading every position of every candidate
costs far more than a search may take, so scoring keeps only each
document's *first* position of a term (one numpy array per posting list,
decoded with it): in headlines and leads a syllable rarely repeats, and
adjacency anywhere is already rewarded through the bigram terms.

    >>> ids = np.array([0, 1, 2])
    >>> closeness(ids, np.array([0, 4, 6]), ids, np.array([1, 6, 4]), 3).tolist()
    [1.0, 0.5, 0.0]

(document 0: adjacent; 1: one syllable between; 2: wrong order.)
"""

from __future__ import annotations

import numpy as np

__all__ = ["PROXIMITY_WEIGHTS", "MAX_GAP", "closeness"]

# Per folded field: how much a query pair standing together lifts the score.
PROXIMITY_WEIGHTS = {"title_f": 0.5, "summary_f": 0.25}
MAX_GAP = 4  # syllables; further apart, two syllables are not one phrase


def closeness(
    first_ids: np.ndarray,
    first_at: np.ndarray,
    second_ids: np.ndarray,
    second_at: np.ndarray,
    size: int,
) -> np.ndarray:
    """Per document (``size`` of them): 1/gap when the second syllable
    follows the first within ``MAX_GAP`` syllables, else 0. ``*_ids`` and
    ``*_at`` are a term's documents and first positions."""
    result = np.zeros(size, np.float32)
    if not len(first_ids) or not len(second_ids):
        return result
    both, in_first, in_second = np.intersect1d(first_ids, second_ids, assume_unique=True, return_indices=True)
    gap = second_at[in_second].astype(np.int64) - first_at[in_first]
    near = (gap >= 1) & (gap <= MAX_GAP)
    result[both[near]] = 1.0 / gap[near]
    return result
