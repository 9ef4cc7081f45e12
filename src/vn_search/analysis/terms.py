"""Step 4 of analysis: turn segmented words into the terms the index keeps.

Every text field is indexed twice (see ``schema.py``):

- the *exact* field holds lowercased syllables with their diacritics and the
  pyvi words of two or more syllables (``cán``, ``bộ``, ``cán_bộ``);
- the *folded* field holds the same syllables folded (``can``, ``bo``) plus
  folded syllable bigrams (``can_bo``): most Vietnamese words are two
  syllables, so the bigram lets an unaccented query that pyvi cannot segment
  (``luan chuyen can bo``) still match whole words, as a short posting list.
  Article bodies keep only the bigrams inside pyvi words: across words they
  are mostly one-off pairs, the bulk of the vocabulary.

    >>> from vn_search.analysis.segment import segment_terms
    >>> exact, folded = field_terms(segment_terms("Luân chuyển cán bộ"))
    >>> sorted(exact)
    ['bộ', 'chuyển', 'cán', 'cán_bộ', 'luân', 'luân_chuyển']
    >>> sorted(folded)
    ['bo', 'can', 'can_bo', 'chuyen', 'chuyen_can', 'luan', 'luan_chuyen']
    >>> sorted(field_terms(segment_terms("Luân chuyển cán bộ"), cross_word_pairs=False)[1])
    ['bo', 'can', 'can_bo', 'chuyen', 'luan', 'luan_chuyen']

Positions count syllables, so phrase queries work on both fields; a word or
bigram sits at the position of its first syllable.
"""

from __future__ import annotations

from vn_search.analysis.fold import fold_text
from vn_search.analysis.segment import Word

__all__ = ["field_terms", "fold_term", "words_of", "JOINER"]

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


def words_of(words: list[Word]) -> list[tuple[str, ...] | None]:
    """Segmented words (with offsets) in the form ``field_terms`` takes."""
    stream: list[tuple[str, ...] | None] = []
    for word in words:
        if word.breaks:
            stream.append(None)
        stream.append(tuple(s.lower() for s in word.syllables))
    return stream


def field_terms(
    stream: list[tuple[str, ...] | None], cross_word_pairs: bool = True
) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Exact and folded terms of one field, each mapped to its positions.

    ``stream`` is :func:`~vn_search.analysis.segment.segment_terms` output:
    lowercase syllable tuples, None where a phrase ends. Without
    ``cross_word_pairs`` only the bigrams inside a pyvi word are kept
    (``can_bo`` but not ``chuyen_can``).
    """
    exact: dict[str, list[int]] = {}
    folded: dict[str, list[int]] = {}
    cache = _fold_cache
    position = 0
    previous = None
    for word in stream:
        if word is None:
            previous = None
            continue
        first = position
        plains = []
        if not cross_word_pairs:
            previous = None
        for syllable in word:
            plain = cache.get(syllable)
            if plain is None:
                plain = fold_term(syllable)
            plains.append(plain)
            if syllable in exact:
                exact[syllable].append(position)
            else:
                exact[syllable] = [position]
            if plain in folded:
                folded[plain].append(position)
            else:
                folded[plain] = [position]
            if previous is not None:
                pair = previous + JOINER + plain
                if pair in folded:
                    folded[pair].append(position - 1)
                else:
                    folded[pair] = [position - 1]
            previous = plain
            position += 1
        if len(word) >= 2:
            joined = JOINER.join(word)
            if joined in exact:
                exact[joined].append(first)
            else:
                exact[joined] = [first]
            if len(word) >= 3:
                joined = JOINER.join(plains)
                if joined in folded:
                    folded[joined].append(first)
                else:
                    folded[joined] = [first]
    return exact, folded
