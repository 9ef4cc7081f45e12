"""Choosing the accents of a typed query: candidates, the case clue, Viterbi.

Each syllable typed without diacritics may stand for any accented syllable
that folds to it; the language model says which sentence is likeliest, and
the way the user capitalised words says which ones are names. This module
owns those choices; :class:`~vn_search.accents.model.AccentModel` only cuts
the query into words and puts the chosen ones back.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from vn_search.accents.counts import CountTable, runs
from vn_search.accents.language import Chain, LanguageModel
from vn_search.accents.tokens import CAPITAL, NUM, OTHER_CASE, RESERVED, UNK, case_class, folded_word
from vn_search.analysis.fold import has_diacritics

MAX_PIECE = 40  # words decoded together; a headline has 10 to 20


class Slot(NamedTuple):
    """One typed word: where it is, and the word ids it may stand for."""

    match: re.Match[str]
    candidates: np.ndarray
    plain: bool  # typed without diacritics and known: ours to restore


class Decoder:
    """Candidates per folded syllable, the case clue, and the Viterbi search."""

    MAX_CANDIDATES = 16  # per folded syllable, most frequent first
    MIN_SHARE = 0.001  # of the most frequent candidate: drops typos
    CASE_WEIGHT = 1.0

    def __init__(
        self, words: list[str], ids: dict[str, int], unigrams: np.ndarray, cased: np.ndarray,
        bigrams: CountTable, trigrams: CountTable,
    ) -> None:
        self.words = words
        self.ids = ids
        self._index_folded_forms(words, unigrams)
        self.language = LanguageModel(unigrams, bigrams, trigrams, self.fold_of)
        # log P(typed lower | word), log P(typed Capitalised | word) inside a
        # sentence piece, add-one smoothed.
        cased = cased.astype(np.float64) + 1.0
        self.case = np.log(cased / cased.sum(axis=1, keepdims=True)).astype(np.float32)

    def _index_folded_forms(self, words: list[str], counts: np.ndarray) -> None:
        """Number the folded forms (by their first word) and list, for each,
        the candidates a typed syllable may stand for, most frequent first."""
        self.fold_ids: dict[str, int] = {}
        self.fold_of = np.array(
            [self.fold_ids.setdefault(folded_word(word), i) for i, word in enumerate(words)], np.int64
        )
        ids = np.flatnonzero(counts > 0)
        ids = ids[ids >= len(RESERVED)]
        ids = ids[np.lexsort((-counts[ids], self.fold_of[ids]))]
        starts, sizes = runs(self.fold_of[ids])
        rank = np.arange(len(ids)) - np.repeat(starts, sizes)
        floor = np.repeat(counts[ids[starts]], sizes) * self.MIN_SHARE
        self._candidates = ids[(rank < self.MAX_CANDIDATES) & (counts[ids] >= floor)]
        starts, sizes = runs(self.fold_of[self._candidates])
        self._first_candidate = np.zeros(len(words), np.intp)
        self._first_candidate[self.fold_of[self._candidates[starts]]] = starts
        self._candidate_count = np.zeros(len(words), np.intp)
        self._candidate_count[self.fold_of[self._candidates[starts]]] = sizes

    def candidates(self, folded: str) -> np.ndarray | None:
        """The word ids a syllable typed as ``folded`` may stand for."""
        fold = self.fold_ids.get(folded)
        if fold is None or not self._candidate_count[fold]:
            return None
        first = self._first_candidate[fold]
        return self._candidates[first : first + self._candidate_count[fold]]

    def slot(self, match: re.Match[str]) -> Slot:
        token = match.group()
        lowered = token.lower()
        if not token.isalpha():
            return Slot(match, np.array([NUM]), False)
        if has_diacritics(token):  # the user chose these accents: keep them
            return Slot(match, np.array([self.ids.get(lowered, UNK)]), False)
        candidates = self.candidates(lowered)  # without diacritics, lowered is folded
        if candidates is not None:
            return Slot(match, candidates, True)
        return Slot(match, np.array([UNK]), False)

    def case_clues(self, piece: list[Slot], use_case: bool) -> list[np.ndarray | None]:
        """Per slot, a log score per candidate from how the user cased it."""
        clues: list[np.ndarray | None] = [None] * len(piece)
        if not use_case:
            return clues
        for position, slot in enumerate(piece[1:], start=1):
            typed_case = case_class(slot.match.group())
            if slot.plain and len(slot.candidates) > 1 and typed_case != OTHER_CASE:
                clues[position] = self.CASE_WEIGHT * self.case[slot.candidates, typed_case]
        return clues

    def best_path(self, slots: list[np.ndarray], clues: list[np.ndarray | None]) -> list[int]:
        """Viterbi over one sentence piece; the chosen candidate index per slot.

        The state is the pair (previous word, current word). All n-gram
        lookups for the piece are made up front in two batches, so the search
        itself is a few array operations per word.
        """
        chain = Chain(slots, self.fold_of)
        language = self.language
        trigram_scores = language.trigram_scores(chain, language.pair_grids(chain))
        scores = np.zeros((1, 1), np.float32)  # over (position t - 2, t - 1)
        pointers = []
        for t in range(2, len(chain.words)):
            step = scores[:, :, None] + trigram_scores[t]
            pointers.append(step.argmax(axis=0))
            scores = step.max(axis=0)
            if t - 2 < len(clues) and clues[t - 2] is not None:
                scores = scores + clues[t - 2][None, :]
        # Walk back from the closing SEP; pointers[t - 2] belongs to position t.
        chosen: list[int] = []
        previous, current = int(scores[:, 0].argmax()), 0
        for t in range(len(chain.words) - 1, 2, -1):
            chosen.append(previous)
            previous, current = int(pointers[t - 2][previous, current]), previous
        return chosen[::-1]


def case_is_informative(tokens: list[str]) -> bool:
    """Does the user capitalise names? Only then does case say anything.

    >>> case_is_informative(["Gia", "vang", "Ha", "Noi"]), case_is_informative(["gia", "vang"])
    (True, False)

    A query in lowercase, in capitals or in Title Case says nothing about which
    words are names; a capital after the first word beside lowercase words does.
    """
    return any(case_class(t) == CAPITAL for t in tokens[1:]) and any(t.islower() for t in tokens)


def sentence_pieces(typed: str, slots: list[Slot]) -> list[list[Slot]]:
    """Split the words of a query where punctuation stands between them, and
    every ``MAX_PIECE`` words, so that a pasted page costs time in proportion
    to its length and no more memory than a sentence."""
    pieces: list[list[Slot]] = []
    previous_end = None
    for slot in slots:
        gap = typed[previous_end : slot.match.start()] if previous_end is not None else "start"
        if gap.strip() or len(pieces[-1]) >= MAX_PIECE:
            pieces.append([])
        pieces[-1].append(slot)
        previous_end = slot.match.end()
    return pieces

