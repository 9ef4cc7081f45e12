"""The trigram language model that scores candidate accented sentences.

Counts alone overrate what was seen once and say nothing of what was never
seen; interpolated absolute discounting turns them into probabilities that
fall back to shorter contexts. Decoding asks about every candidate word at
every position of a query at once, so the model answers in batches over a
:class:`Chain` of candidates, from indexes laid out for that question.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from vn_search.accents.counts import ID_BITS, ID_MASK, CountTable, pack, runs
from vn_search.accents.tokens import SEP

_SENTINEL = np.iinfo(np.int64).max  # above every code: searches need no bounds check


class _FollowerIndex:
    """The n-grams of one order grouped by (context, folded last word).

    Decoding asks: after this context, which accented words that fold to the
    typed syllable were seen? Grouped this way the answer is one binary
    search per context (not one per candidate word), and the followers lie
    side by side in memory. Each search into a table of millions of codes
    costs cache misses, so this is what keeps a query within milliseconds.

    A saved model numbers its words in folded order, so its n-grams are in
    this order already and loading sorts nothing; otherwise :meth:`arrange`
    puts per-n-gram arrays in index order.
    """

    def __init__(self, keys: np.ndarray, fold_of: np.ndarray) -> None:
        last = keys & ID_MASK
        groups = keys - last
        groups += fold_of[last]  # the last id replaced by its folded form's
        self._permutation = None
        if len(groups) and (groups[1:] < groups[:-1]).any():
            self._permutation = np.argsort(groups, kind="stable")
            groups = groups[self._permutation]
        starts, _ = runs(groups)
        self._group_keys = np.append(groups[starts], _SENTINEL)
        self._group_starts = np.append(starts, len(groups))
        self.last = self.arrange(last)

    def arrange(self, values: np.ndarray) -> np.ndarray:
        """Values given in code order, in index order."""
        return values if self._permutation is None else values[self._permutation]

    def positions(self, code_order: np.ndarray) -> np.ndarray:
        """Where the n-grams at ``code_order`` in code order sit in index order."""
        if self._permutation is None:
            return code_order
        position = np.empty_like(self._permutation)
        position[self._permutation] = np.arange(len(self._permutation))
        return position[code_order]

    def followers(self, contexts: np.ndarray, folds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query, entry) for every n-gram whose context is ``contexts[query]``
        and whose last word folds to ``folds[query]``."""
        queries = (contexts << ID_BITS) | folds
        group = self._group_keys.searchsorted(queries)
        hit = np.flatnonzero(self._group_keys[group] == queries)
        start = self._group_starts[group[hit]]
        sizes = self._group_starts[group[hit] + 1] - start
        offsets = np.repeat(start - np.cumsum(sizes) + sizes, sizes)
        return np.repeat(hit, sizes), offsets + np.arange(len(offsets))


def _context_totals(
    child_keys: np.ndarray, child_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct context of sorted n-gram codes: its code, how many
    children it has and the sum of their counts."""
    contexts = child_keys >> ID_BITS
    starts, sizes = runs(contexts)
    if len(starts) == 0:
        return contexts, sizes, sizes
    return contexts[starts], sizes, np.add.reduceat(child_counts, starts, dtype=np.int64)


class _PairGrid(NamedTuple):
    """Bigram values for every (b, c) of two candidate arrays, shape (len(b), len(c))."""

    prob: np.ndarray  # P(c | b)
    rest: np.ndarray  # g(bc) when bc is the context of a trigram
    total: np.ndarray  # n(bc), likewise
    parent: np.ndarray  # bc is the context of at least one kept trigram


class Chain:
    """The candidates of one sentence piece, framed by SEP, for batch lookups.

    ``words[t]`` holds the candidate ids at position ``t`` (0, 1 and the last
    position are SEP) and ``folds[t]`` their common folded form.
    """

    def __init__(self, slots: list[np.ndarray], fold_of: np.ndarray) -> None:
        sep = np.array([SEP])
        self.words = [sep, sep, *slots, sep]
        self.sizes = np.array([len(words) for words in self.words])
        self.folds = fold_of[[words[0] for words in self.words]]
        position = np.repeat(np.arange(len(self.words)), self.sizes)
        codes = (position << ID_BITS) | np.concatenate(self.words)
        order = np.argsort(codes)
        self._codes = codes[order]
        self._columns = np.concatenate([np.arange(n) for n in self.sizes])[order]

    def columns(self, positions: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each word sits among the candidates of its position: (present, column)."""
        queries = (positions << ID_BITS) | words
        at = np.minimum(self._codes.searchsorted(queries), len(self._codes) - 1)
        return self._codes[at] == queries, self._columns[at]


class LanguageModel:
    """Trigram model with interpolated absolute discounting.

    P(c | a b) = (n(abc) - D) / n(ab) + g(ab) * P(c | b), where g(ab) is all
    the probability that the kept trigrams of ``ab`` leave over, so pruned
    n-grams fall back to the shorter context; the same one order down, and
    P(c) = n(c) / N at the bottom. Everything per bigram is computed when the
    model loads; trigram terms are worked out for the few a query asks about.
    """

    DISCOUNT = 0.8

    def __init__(
        self, unigrams: np.ndarray, bigrams: CountTable, trigrams: CountTable, fold_of: np.ndarray
    ) -> None:
        discount = self.DISCOUNT
        counts = unigrams.astype(np.float64)
        self.unigram = (np.maximum(counts, 0.5) / max(counts.sum(), 1.0)).astype(np.float32)

        # g(b) for every word, and P(c | b) for every kept bigram.
        words, children, totals = _context_totals(bigrams.keys, bigrams.counts)
        word_total = np.maximum(counts, 1.0)
        word_total[words] = np.maximum(word_total[words], totals)
        self.word_rest = np.ones(len(counts), np.float32)
        left_over = 1.0 - (totals - discount * children) / word_total[words]
        self.word_rest[words] = np.clip(left_over, 1e-6, 1.0)
        self.bigrams = _FollowerIndex(bigrams.keys, fold_of)
        first, second = self.bigrams.arrange(bigrams.keys) >> ID_BITS, self.bigrams.last
        prob = self.bigrams.arrange(bigrams.counts) - np.float32(discount)
        prob /= word_total[first].astype(np.float32)
        prob += self.word_rest[first] * self.unigram[second]

        # n(ab) and g(ab) for every bigram that is the context of trigrams.
        pairs, children, totals = _context_totals(trigrams.keys, trigrams.counts)
        at = np.minimum(bigrams.keys.searchsorted(pairs), max(len(bigrams.keys) - 1, 0))
        found = bigrams.keys[at] == pairs if len(bigrams.keys) else np.zeros(0, bool)
        at, totals, children = at[found], totals[found], children[found]
        where = self.bigrams.positions(at)
        total = np.ones(len(bigrams.keys), np.float32)
        total[where] = np.maximum(bigrams.counts[at], totals)
        rest = np.ones(len(bigrams.keys), np.float32)
        rest[where] = np.clip(1.0 - (totals - discount * children) / total[where], 1e-6, 1.0)
        parent = np.zeros(len(bigrams.keys), bool)
        parent[where] = True
        self.pair_values = _PairGrid(prob, rest, total, parent)

        self.trigrams = _FollowerIndex(trigrams.keys, fold_of)
        self.trigram_counts = self.trigrams.arrange(trigrams.counts).astype(np.float32)

    def pair_grids(self, chain: Chain) -> list[_PairGrid]:
        """``grids[t]`` holds the bigram values of (position t - 1, position t)."""
        sizes = chain.sizes
        target = np.repeat(np.arange(1, len(sizes)), sizes[:-1])
        row = np.concatenate([np.arange(n) for n in sizes[:-1]])
        query, entry = self.bigrams.followers(np.concatenate(chain.words[:-1]), chain.folds[target])
        present, column = chain.columns(target[query], self.bigrams.last[entry])
        query, entry = query[present], entry[present]
        starts = np.r_[0, np.cumsum(sizes[:-1] * sizes[1:])]  # of each grid, from t = 1
        cells = starts[target[query] - 1] + row[query] * sizes[target[query]] + column[present]

        prob = np.concatenate([
            np.outer(self.word_rest[b], self.unigram[c]).ravel()
            for b, c in zip(chain.words, chain.words[1:])
        ])
        rest, total = np.ones(starts[-1], np.float32), np.ones(starts[-1], np.float32)
        parent = np.zeros(starts[-1], bool)
        for values, seen in zip((prob, rest, total, parent), self.pair_values):
            values[cells] = seen[entry]
        grids = [_PairGrid(prob[:0], rest[:0], total[:0], parent[:0])]  # no pair ends at 0
        for t in range(1, len(sizes)):
            cut = slice(starts[t - 1], starts[t])
            shape = (sizes[t - 1], sizes[t])
            grids.append(_PairGrid(*(v[cut].reshape(shape) for v in (prob, rest, total, parent))))
        return grids

    def trigram_scores(self, chain: Chain, grids: list[_PairGrid]) -> list[np.ndarray]:
        """``scores[t]``: log P(position t | t - 2, t - 1) for every candidate
        triple, shape (sizes[t - 2], sizes[t - 1], sizes[t]); from t = 2."""
        sizes = chain.sizes
        starts = np.r_[0, np.cumsum(sizes[:-2] * sizes[1:-1] * sizes[2:])]  # from t = 2
        contexts, targets, bases = [], [], []
        for t in range(2, len(sizes)):
            # Only contexts that head some trigram can have one.
            parents = np.flatnonzero(grids[t - 1].parent)
            a, b = np.divmod(parents, sizes[t - 1])
            contexts.append(pack(chain.words[t - 2][a], chain.words[t - 1][b]))
            targets.append(np.full(len(parents), t))
            bases.append(starts[t - 2] + parents * sizes[t])
        target = np.concatenate(targets)
        query, entry = self.trigrams.followers(np.concatenate(contexts), chain.folds[target])
        present, column = chain.columns(target[query], self.trigrams.last[entry])
        counts = np.full(starts[-1], self.DISCOUNT, np.float32)
        cells = np.concatenate(bases)[query[present]] + column[present]
        counts[cells] = self.trigram_counts[entry[present]]

        scores = [counts[:0], counts[:0]]
        for t in range(2, len(sizes)):
            own = counts[starts[t - 2] : starts[t - 1]].reshape(sizes[t - 2], sizes[t - 1], sizes[t])
            ab, bc = grids[t - 1], grids[t]
            own = (own - self.DISCOUNT) / ab.total[:, :, None]
            scores.append(np.log(own + ab.rest[:, :, None] * bc.prob[None]))
        return scores
