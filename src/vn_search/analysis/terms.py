"""Step 4 of analysis: turn segmented words into the terms the index keeps.

Every text field is indexed twice (see ``schema.py``):

- the *exact* field holds lowercased syllables with their diacritics and the
  pyvi words of two or more syllables (``cán``, ``bộ``, ``cán_bộ``);
- the *folded* field holds the same syllables folded (``can``, ``bo``) plus
  folded syllable bigrams (``can_bo``): most Vietnamese words are two
  syllables, so the bigram lets an unaccented query that pyvi cannot segment
  (``luan chuyen can bo``) still match whole words, as a short posting list.

    >>> exact, folded = field_terms(segment("Luân chuyển cán bộ"))
    >>> sorted(exact)
    ['bộ', 'chuyển', 'cán', 'cán_bộ', 'luân', 'luân_chuyển']
    >>> sorted(folded)
    ['bo', 'can', 'can_bo', 'chuyen', 'chuyen_can', 'luan', 'luan_chuyen']

Positions count syllables, so phrase queries work on both fields; a word or
bigram sits at the position of its first syllable.
"""

from __future__ import annotations

from collections import defaultdict

from vn_search.analysis.fold import fold_text
from vn_search.analysis.segment import Word

__all__ = ["field_terms", "fold_term", "JOINER"]

JOINER = "_"

_fold_cache: dict[str, str] = {}


def fold_term(term: str) -> str:
    """``fold_text`` for one lowercase term, memoised (a few thousand
    distinct syllables make up almost all Vietnamese text)."""
    folded = _fold_cache.get(term)
    if folded is None:
        folded = fold_text(term)
        if len(_fold_cache) < 500_000:
            _fold_cache[term] = folded
    return folded


def field_terms(words: list[Word]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Exact and folded terms of one field, each mapped to its positions."""
    exact: dict[str, list[int]] = defaultdict(list)
    folded: dict[str, list[int]] = defaultdict(list)
    position = 0
    previous: str | None = None
    for word in words:
        if word.breaks:
            previous = None
        first = position
        lowered = [s.lower() for s in word.syllables]
        folded_syllables = []
        for syllable in lowered:
            plain = fold_term(syllable)
            folded_syllables.append(plain)
            exact[syllable].append(position)
            folded[plain].append(position)
            if previous is not None:
                folded[previous + JOINER + plain].append(position - 1)
            previous = plain
            position += 1
        if len(lowered) >= 2:
            exact[JOINER.join(lowered)].append(first)
        if len(lowered) >= 3:
            folded[JOINER.join(folded_syllables)].append(first)
    return exact, folded
