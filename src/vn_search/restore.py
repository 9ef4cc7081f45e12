"""Put back the diacritics of a query typed without them ("Có phải bạn muốn tìm …").

    >>> model = AccentModel()
    >>> for text in corpus_texts:          # titles, summaries, bodies  # doctest: +SKIP
    ...     model.add_text(text)
    >>> model.restore("luan chuyen can bo Ha Noi")  # doctest: +SKIP
    'luân chuyển cán bộ Hà Nội'
    >>> model.suggest("luân chuyển cán bộ") is None    # nothing to add  # doctest: +SKIP
    True

Everything is learned from the corpus's own accented text, never from a hand
list. The pieces, in the order they appear below:

* tokens: a word is a run of letters/digits; punctuation and line breaks end
  an n-gram context; every number is one token ``<num>``, so ``ngày 1/4/1975``
  and ``ngày 30/4`` teach the same thing;
* counts: uni-, bi- and trigram counts over accented lowercase syllables,
  packed into sorted ``int64`` codes (three 21-bit word ids) so that tens of
  millions of them live in numpy arrays rather than Python dicts;
* language model: interpolated absolute discounting over those counts;
* decoder: each typed syllable may be any accented syllable that folds to it
  (``can`` → cán, cần, căn, cạn, …); a Viterbi search picks the most
  likely sentence. How often a syllable is written with a capital inside
  a sentence is a second clue (``Ha`` → Hà, not hạ), used only when the user's
  own capitals show that they capitalise names;
* :class:`AccentModel`: training, merging, storage and the public calls.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from array import array
from os import PathLike
from typing import NamedTuple

import numpy as np

from vn_search.analysis.fold import fold_text, has_diacritics
from vn_search.analysis.normalize import normalize_query, normalize_text

__all__ = ["AccentModel"]

# -- tokens ------------------------------------------------------------------

# Words, single punctuation marks, underscores and line breaks. Everything that
# is not a word ends the n-gram context (runs of such breaks count once).
_TRAIN_TOKEN = re.compile(r"[^\W_]+|[^\w\s]|_|\n")
_WORD = re.compile(r"[^\W_]+")

# Reserved word ids: SEP between two contexts (it starts and ends each piece
# of a sentence), NUM for any token holding a digit, UNK for an unseen word.
SEP, NUM, UNK = 0, 1, 2
_RESERVED = ("<sep>", "<num>", "<unk>")

# Case of a token as typed. Only lower vs. Capitalised *inside* a sentence
# piece is a clue; ALL-CAPS (UBND, headlines shouted) says nothing.
_LOWER, _CAPITAL, _OTHER_CASE = 0, 1, 2

_ID_BITS = 21  # three word ids pack into one int64 n-gram code
_ID_MASK = (1 << _ID_BITS) - 1
_MAX_WORDS = 1 << _ID_BITS


def _case_class(token: str) -> int:
    """Lower, Capitalised or other, as typed.

    >>> [_case_class(t) for t in ("hà", "Hà", "HÀ", "iPhone")]
    [0, 1, 2, 2]
    """
    if token.islower():
        return _LOWER
    if token[0].isupper() and (len(token) == 1 or token[1:].islower()):
        return _CAPITAL
    return _OTHER_CASE


def _apply_case(typed: str, restored: str) -> str:
    """Give ``restored`` the case the user typed, letter by letter.

    >>> _apply_case("Ha", "hà"), _apply_case("CAN", "cán"), _apply_case("iPhone", "iphone")
    ('Hà', 'CÁN', 'iPhone')
    """
    if typed.islower():
        return restored
    if len(typed) != len(restored):  # folding changed the length: not Vietnamese
        return restored.upper() if typed.isupper() else restored.capitalize()
    return "".join(r.upper() if t.isupper() else r for t, r in zip(typed, restored))


class _TokenCodes(dict):
    """Raw training token → ``word id << 2 | case class``, worked out once per
    distinct token: a corpus has tens of millions of tokens but only some
    hundred thousand distinct ones, so training costs one dict lookup each.

    >>> codes = _TokenCodes(AccentModel())
    >>> [codes[t] for t in ("Hà", "hà", ",", "1975")]   # id 3, Capital / lower; SEP; NUM
    [13, 12, 0, 4]
    """

    def __init__(self, model: AccentModel) -> None:
        super().__init__()
        self._model = model

    def __missing__(self, token: str) -> int:
        if not token[0].isalnum():
            code = SEP << 2
        elif not token.isalpha():
            code = NUM << 2
        else:
            code = self._model._word_id(token.lower()) << 2 | _case_class(token)
        self[token] = code
        return code


# -- packed n-gram counts ----------------------------------------------------


def _pack(*ids: np.ndarray) -> np.ndarray:
    """Word ids (broadcastable arrays) → one int64 code per n-gram."""
    code = np.asarray(ids[0], dtype=np.int64)
    for more in ids[1:]:
        code = (code << _ID_BITS) | more
    return code


def _unpack(codes: np.ndarray, order: int) -> list[np.ndarray]:
    return [(codes >> (_ID_BITS * (order - 1 - k))) & _ID_MASK for k in range(order)]


def _sum_duplicates(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort ``keys`` and add up the counts of equal keys."""
    # A stable sort of int64 is timsort: already-sorted runs merge in linear time.
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order].astype(np.int64)
    starts, _ = _runs(keys)
    if len(starts) == 0:
        return keys, counts
    return keys[starts], np.add.reduceat(counts, starts)


def _merge_sorted(
    keys: np.ndarray, counts: np.ndarray, more_keys: np.ndarray, more_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two count tables (sorted, unique keys) as one, adding the counts of
    keys in both. Sorting the two together took five times their size in
    memory; this takes the new table and the smaller one's lookups."""
    counts = counts.astype(np.int64, copy=False)  # a loaded table's are narrower
    at = np.searchsorted(keys, more_keys)
    found = at < len(keys)
    found[found] = keys[at[found]] == more_keys[found]
    counts[at[found]] += more_counts[found]  # the table owns its counts
    missing = ~found
    return np.insert(keys, at[missing], more_keys[missing]), np.insert(counts, at[missing], more_counts[missing])


class _CountTable:
    """How often each packed n-gram was seen: sorted codes, parallel counts.

    Chunks of new codes wait and are folded in when they outgrow the table,
    so training does not re-sort everything after each document.
    """

    def __init__(self, keys: np.ndarray | None = None, counts: np.ndarray | None = None) -> None:
        self._keys = np.zeros(0, np.int64) if keys is None else keys
        self._counts = np.zeros(0, np.int64) if counts is None else counts
        self._waiting: list[tuple[np.ndarray, np.ndarray]] = []
        self._waiting_size = 0

    @property
    def keys(self) -> np.ndarray:
        self._settle()
        return self._keys

    @property
    def counts(self) -> np.ndarray:
        self._settle()
        return self._counts

    def add_codes(self, codes: np.ndarray) -> None:
        self.add_counts(*np.unique(codes, return_counts=True))

    def add_counts(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self._waiting.append((keys, counts))
        self._waiting_size += len(keys)
        # Geometric merging: each code is merged in O(log n) times, and the
        # codes waiting stay a fraction of the table (they cost about four
        # times their size to sort).
        if self._waiting_size > max(len(self._keys) // 2, 1_000_000):
            self._settle()

    def _settle(self) -> None:
        if not self._waiting:
            return
        keys = np.concatenate([k for k, _ in self._waiting])
        counts = np.concatenate([c for _, c in self._waiting])
        self._waiting, self._waiting_size = [], 0
        self._keys, self._counts = _merge_sorted(self._keys, self._counts, *_sum_duplicates(keys, counts))

    @property
    def nbytes(self) -> int:
        """Memory held by the table and the codes waiting to join it."""
        waiting = sum(keys.nbytes + counts.nbytes for keys, counts in self._waiting)
        return self._keys.nbytes + self._counts.nbytes + waiting

    def pruned(self, min_count: int) -> _CountTable:
        keep = self.counts >= min_count
        return _CountTable(self.keys[keep], self.counts[keep])

    def renumbered(self, new_ids: np.ndarray, order: int) -> _CountTable:
        """The same counts with every word id ``i`` replaced by ``new_ids[i]``."""
        keys = _pack(*(new_ids[part] for part in _unpack(self.keys, order)))
        return _CountTable(*_sum_duplicates(keys, self.counts))


# -- the language model ------------------------------------------------------

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
        last = keys & _ID_MASK
        groups = keys - last
        groups += fold_of[last]  # the last id replaced by its folded form's
        self._permutation = None
        if len(groups) and (groups[1:] < groups[:-1]).any():
            self._permutation = np.argsort(groups, kind="stable")
            groups = groups[self._permutation]
        starts, _ = _runs(groups)
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
        queries = (contexts << _ID_BITS) | folds
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
    contexts = child_keys >> _ID_BITS
    starts, sizes = _runs(contexts)
    if len(starts) == 0:
        return contexts, sizes, sizes
    return contexts[starts], sizes, np.add.reduceat(child_counts, starts, dtype=np.int64)


class _PairGrid(NamedTuple):
    """Bigram values for every (b, c) of two candidate arrays, shape (len(b), len(c))."""

    prob: np.ndarray  # P(c | b)
    rest: np.ndarray  # g(bc) when bc is the context of a trigram
    total: np.ndarray  # n(bc), likewise
    parent: np.ndarray  # bc is the context of at least one kept trigram


class _Chain:
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
        codes = (position << _ID_BITS) | np.concatenate(self.words)
        order = np.argsort(codes)
        self._codes = codes[order]
        self._columns = np.concatenate([np.arange(n) for n in self.sizes])[order]

    def columns(self, positions: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each word sits among the candidates of its position: (present, column)."""
        queries = (positions << _ID_BITS) | words
        at = np.minimum(self._codes.searchsorted(queries), len(self._codes) - 1)
        return self._codes[at] == queries, self._columns[at]


class _LanguageModel:
    """Trigram model with interpolated absolute discounting.

    P(c | a b) = (n(abc) - D) / n(ab) + g(ab) * P(c | b), where g(ab) is all
    the probability that the kept trigrams of ``ab`` leave over, so pruned
    n-grams fall back to the shorter context; the same one order down, and
    P(c) = n(c) / N at the bottom. Everything per bigram is computed when the
    model loads; trigram terms are worked out for the few a query asks about.
    """

    DISCOUNT = 0.8

    def __init__(
        self, unigrams: np.ndarray, bigrams: _CountTable, trigrams: _CountTable, fold_of: np.ndarray
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
        first, second = self.bigrams.arrange(bigrams.keys) >> _ID_BITS, self.bigrams.last
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

    def pair_grids(self, chain: _Chain) -> list[_PairGrid]:
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

    def trigram_scores(self, chain: _Chain, grids: list[_PairGrid]) -> list[np.ndarray]:
        """``scores[t]``: log P(position t | t - 2, t - 1) for every candidate
        triple, shape (sizes[t - 2], sizes[t - 1], sizes[t]); from t = 2."""
        sizes = chain.sizes
        starts = np.r_[0, np.cumsum(sizes[:-2] * sizes[1:-1] * sizes[2:])]  # from t = 2
        contexts, targets, bases = [], [], []
        for t in range(2, len(sizes)):
            # Only contexts that head some trigram can have one.
            parents = np.flatnonzero(grids[t - 1].parent)
            a, b = np.divmod(parents, sizes[t - 1])
            contexts.append(_pack(chain.words[t - 2][a], chain.words[t - 1][b]))
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


# -- the decoder -------------------------------------------------------------


class _Slot(NamedTuple):
    """One typed word: where it is, and the word ids it may stand for."""

    match: re.Match[str]
    candidates: np.ndarray
    plain: bool  # typed without diacritics and known: ours to restore


class _Decoder:
    """Candidates per folded syllable, the case clue, and the Viterbi search."""

    MAX_CANDIDATES = 16  # per folded syllable, most frequent first
    MIN_SHARE = 0.001  # of the most frequent candidate: drops typos
    CASE_WEIGHT = 1.0

    def __init__(self, model: AccentModel) -> None:
        self.words = model._words
        self.ids = model._ids
        self._index_folded_forms(model._words, model._unigrams)
        self.language = _LanguageModel(model._unigrams, model._bigrams, model._trigrams, self.fold_of)
        # log P(typed lower | word), log P(typed Capitalised | word) inside a
        # sentence piece, add-one smoothed.
        cased = model._cased.astype(np.float64) + 1.0
        self.case = np.log(cased / cased.sum(axis=1, keepdims=True)).astype(np.float32)

    def _index_folded_forms(self, words: list[str], counts: np.ndarray) -> None:
        """Number the folded forms (by their first word) and list, for each,
        the candidates a typed syllable may stand for, most frequent first."""
        self.fold_ids: dict[str, int] = {}
        self.fold_of = np.array(
            [self.fold_ids.setdefault(_folded(word), i) for i, word in enumerate(words)], np.int64
        )
        ids = np.flatnonzero(counts > 0)
        ids = ids[ids >= len(_RESERVED)]
        ids = ids[np.lexsort((-counts[ids], self.fold_of[ids]))]
        starts, sizes = _runs(self.fold_of[ids])
        rank = np.arange(len(ids)) - np.repeat(starts, sizes)
        floor = np.repeat(counts[ids[starts]], sizes) * self.MIN_SHARE
        self._candidates = ids[(rank < self.MAX_CANDIDATES) & (counts[ids] >= floor)]
        starts, sizes = _runs(self.fold_of[self._candidates])
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

    def slot(self, match: re.Match[str]) -> _Slot:
        token = match.group()
        lowered = token.lower()
        if not token.isalpha():
            return _Slot(match, np.array([NUM]), False)
        if has_diacritics(token):  # the user chose these accents: keep them
            return _Slot(match, np.array([self.ids.get(lowered, UNK)]), False)
        candidates = self.candidates(lowered)  # without diacritics, lowered is folded
        if candidates is not None:
            return _Slot(match, candidates, True)
        return _Slot(match, np.array([UNK]), False)

    def case_clues(self, piece: list[_Slot], use_case: bool) -> list[np.ndarray | None]:
        """Per slot, a log score per candidate from how the user cased it."""
        clues: list[np.ndarray | None] = [None] * len(piece)
        if not use_case:
            return clues
        for position, slot in enumerate(piece[1:], start=1):
            typed_case = _case_class(slot.match.group())
            if slot.plain and len(slot.candidates) > 1 and typed_case != _OTHER_CASE:
                clues[position] = self.CASE_WEIGHT * self.case[slot.candidates, typed_case]
        return clues

    def best_path(self, slots: list[np.ndarray], clues: list[np.ndarray | None]) -> list[int]:
        """Viterbi over one sentence piece; the chosen candidate index per slot.

        The state is the pair (previous word, current word). All n-gram
        lookups for the piece are made up front in two batches, so the search
        itself is a few array operations per word.
        """
        chain = _Chain(slots, self.fold_of)
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


def _case_is_informative(tokens: list[str]) -> bool:
    """Does the user capitalise names? Only then does case say anything.

    >>> _case_is_informative(["Gia", "vang", "Ha", "Noi"]), _case_is_informative(["gia", "vang"])
    (True, False)

    A query in lowercase, in capitals or in Title Case says nothing about which
    words are names; a capital after the first word beside lowercase words does.
    """
    return any(_case_class(t) == _CAPITAL for t in tokens[1:]) and any(t.islower() for t in tokens)


# -- the public model --------------------------------------------------------

_FORMAT = "vn_search.accent-model"
_VERSION = 1
_MAX_PIECE = 40  # words decoded together; a headline has 10 to 20
_MAX_UNPACKED_BYTES = 4 << 30  # the corpus C model unpacks to 53 MB


class AccentModel:
    """Folded syllable n-grams → accented forms, learned from accented text.

    >>> model = AccentModel()
    >>> model.add_text("Giá vàng hôm nay tăng mạnh. Giá vàng hôm qua giảm.")
    >>> model.restore("gia vang hom nay")
    'giá vàng hôm nay'

    Counts are exact while training (merging two models equals training one
    on both texts). :meth:`save` drops rare n-grams, so a model that is
    loaded, trained further and saved again keeps only what is frequent.
    """

    #: n-grams seen fewer times than this are not saved, nor are words no
    #: saved n-gram needs. Trigrams seen once are two thirds of all trigrams
    #: and worth 0.1% accuracy; bigrams seen once are few and worth 0.2%.
    MIN_TRIGRAM_COUNT = 2
    MIN_BIGRAM_COUNT = 1
    _FLUSH_TOKENS = 1 << 19

    def __init__(self) -> None:
        self._words: list[str] = list(_RESERVED)
        self._ids: dict[str, int] = {word: i for i, word in enumerate(_RESERVED)}
        self._token_codes = _TokenCodes(self)
        self._pending = array("q")  # token codes not yet counted
        self._unigrams = np.zeros(len(_RESERVED), np.int64)
        self._cased = np.zeros((len(_RESERVED), 2), np.int64)  # inner lower, inner Capital
        self._bigrams = _CountTable()
        self._trigrams = _CountTable()
        self._decoder: _Decoder | None = None

    # ---- training

    def add_text(self, text: str, normalized: bool = False) -> None:
        """Learn from one accented text: a title, a summary or a whole body
        (``normalized`` if it already went through ``normalize_text``)."""
        if not normalized:
            text = normalize_text(text)  # queries get the same, so hoà and hòa meet
        if not text:
            return
        self._pending.append(SEP)
        self._pending.extend(map(self._token_codes.__getitem__, _TRAIN_TOKEN.findall(text)))
        self._pending.append(SEP)
        self._decoder = None
        if len(self._pending) >= self._FLUSH_TOKENS:
            self._flush()

    def merge(self, other: AccentModel) -> None:
        """Add ``other``'s counts to this model (e.g. from a worker process)."""
        self._flush()
        other._flush()
        # Other's word ids → ours, adding the words we have not seen.
        new_ids = np.array([self._word_id(word) for word in other._words], np.int64)
        size = len(self._words)
        self._unigrams = _grown(self._unigrams, size)
        np.add.at(self._unigrams, new_ids, other._unigrams)
        self._cased = _grown(self._cased, size)
        np.add.at(self._cased, new_ids, other._cased)
        pairs = ((self._bigrams, other._bigrams, 2), (self._trigrams, other._trigrams, 3))
        for mine, theirs, order in pairs:
            renumbered = theirs.renumbered(new_ids, order)
            mine.add_counts(renumbered.keys, renumbered.counts)
        self._decoder = None

    @property
    def nbytes(self) -> int:
        """Memory held by the counts (not the vocabulary), roughly."""
        held = self._bigrams.nbytes + self._trigrams.nbytes + self._unigrams.nbytes + self._cased.nbytes
        return held + len(self._pending) * self._pending.itemsize

    def frequent_words(self, count: int) -> list[str]:
        """The ``count`` words (lowercase syllables) seen most often, most
        frequent first."""
        self._flush()
        reserved = len(_RESERVED)
        counts = self._unigrams[reserved:]
        top = np.argsort(-counts, kind="stable")[:count]
        return [self._words[reserved + i] for i in top.tolist() if counts[i] > 0]

    def capital_share(self, word: str) -> float:
        """How often the corpus writes ``word`` (a lowercase syllable)
        capitalised inside sentences (``Nam`` of Việt Nam, ``Trump``): a
        suggestion spells proper nouns as the articles do."""
        self._flush()
        word_id = self._ids.get(word)
        if word_id is None or word_id >= len(self._cased):
            return 0.0
        lower, capital = self._cased[word_id]
        return float(capital) / max(1, int(lower) + int(capital))

    def _word_id(self, word: str) -> int:
        word_id = self._ids.get(word)
        if word_id is None:
            if len(self._words) >= _MAX_WORDS:
                return UNK
            word_id = self._ids[word] = len(self._words)
            self._words.append(word)
        return word_id

    def _flush(self) -> None:
        """Count the buffered tokens (always whole texts) into the tables."""
        if not self._pending:
            return
        codes = np.frombuffer(self._pending, dtype=np.int64)
        ids, case = codes >> 2, codes & 3
        repeated_break = (ids == SEP) & (np.r_[-1, ids[:-1]] == SEP)
        ids, case = ids[~repeated_break], case[~repeated_break]
        self._pending = array("q")

        size = len(self._words)
        # The buffer ends with SEP; leaving it out makes SEP count the pieces
        # that start, the same whichever way the texts were split into models.
        self._unigrams = _grown(self._unigrams, size) + np.bincount(ids[:-1], minlength=size)
        inner = np.r_[False, ids[:-1] != SEP]
        self._cased = _grown(self._cased, size)
        for column in (_LOWER, _CAPITAL):
            self._cased[:, column] += np.bincount(ids[inner & (case == column)], minlength=size)
        self._bigrams.add_codes(_pack(ids[:-1], ids[1:]))
        a, b, c = ids[:-2], ids[1:-1], ids[2:]
        inside = b != SEP
        self._trigrams.add_codes(_pack(a[inside], b[inside], c[inside]))

    # ---- comparing and pickling (workers send counts, not caches)

    def __eq__(self, other: object) -> bool:
        """Same counts for the same words, whatever ids they have.

        Meant for tests and checks: it lists every n-gram of both models.
        """
        if not isinstance(other, AccentModel):
            return NotImplemented
        return self._counts_by_word() == other._counts_by_word()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def _counts_by_word(self) -> dict[str, dict]:
        self._flush()
        words = np.array(self._words, dtype=object)
        result: dict[str, dict] = {
            "unigrams": {
                w: (int(n), int(lower), int(capital))
                for w, n, (lower, capital) in zip(self._words, self._unigrams, self._cased)
                if n or lower or capital
            }
        }
        for name, table, order in (("bigrams", self._bigrams, 2), ("trigrams", self._trigrams, 3)):
            grams = zip(*(words[part] for part in _unpack(table.keys, order)))
            result[name] = dict(zip(grams, table.counts.tolist()))
        return result

    def __getstate__(self) -> dict:
        """Exact counts as plain arrays: what a worker process sends back."""
        self._flush()
        return {
            "words": self._words,
            "unigrams": self._unigrams,
            "cased": self._cased,
            "bigrams": (self._bigrams.keys, _narrow(self._bigrams.counts)),
            "trigrams": (self._trigrams.keys, _narrow(self._trigrams.counts)),
        }

    def __setstate__(self, state: dict) -> None:
        self.__init__()
        self._adopt(
            state["words"], state["unigrams"], state["cased"],
            *(_CountTable(keys, counts.astype(np.int64))
              for keys, counts in (state["bigrams"], state["trigrams"])),
        )

    def _adopt(self, words: list[str], unigrams: np.ndarray, cased: np.ndarray,
               bigrams: _CountTable, trigrams: _CountTable) -> None:
        self._words = list(words)
        self._ids = {word: i for i, word in enumerate(self._words)}
        self._token_codes = _TokenCodes(self)
        self._unigrams, self._cased = unigrams, cased
        self._bigrams, self._trigrams = bigrams, trigrams
        self._decoder = None

    # ---- storage

    def save(self, path: str | PathLike[str]) -> None:
        """Write the pruned counts as a zip of plain numeric arrays (``.npz``).

        Nothing in the file is executable: :meth:`load` reads it with
        ``allow_pickle=False`` and checks every word id it refers to.
        """
        self._flush()
        bigrams = self._bigrams.pruned(self.MIN_BIGRAM_COUNT)
        trigrams = self._trigrams.pruned(self.MIN_TRIGRAM_COUNT)
        # Keep the words the kept n-grams need, numbered densely in folded
        # order: then sorted codes are also in the decoder's index order.
        needed = np.zeros(len(self._words), bool)
        needed[: len(_RESERVED)] = True
        for table, order in ((bigrams, 2), (trigrams, 3)):
            for part in _unpack(table.keys, order):
                needed[part] = True
        kept = np.flatnonzero(needed)
        kept = np.r_[kept[: len(_RESERVED)], sorted(kept[len(_RESERVED) :], key=self._folded_order)]
        new_ids = np.full(len(self._words), UNK, np.int64)
        new_ids[kept] = np.arange(len(kept))
        arrays = {
            "header": _utf8(json.dumps({"format": _FORMAT, "version": _VERSION})),
            "words": _utf8("\n".join(self._words[i] for i in kept)),
            "unigrams": self._unigrams[kept].astype(np.uint32),
            "cased": self._cased[kept].astype(np.uint32),
        }
        for name, table, order in (("bigrams", bigrams, 2), ("trigrams", trigrams, 3)):
            table = table.renumbered(new_ids, order)
            # Sorted codes change little from one to the next: store the steps,
            # which compress to a third of the codes themselves.
            arrays[f"{name}_steps"] = np.diff(table.keys, prepend=0).astype(np.uint64)
            arrays[f"{name}_counts"] = table.counts.astype(np.uint32)
        with open(path, "wb") as out:
            np.savez_compressed(out, **arrays)

    def _folded_order(self, word_id: int) -> tuple[str, str]:
        word = self._words[word_id]
        return _folded(word), word

    @classmethod
    def load(cls, path: str | PathLike[str]) -> AccentModel:
        """Read a model written by :meth:`save`; it can be trained further.

        Raises ValueError naming the file when it is not such a model (or was
        truncated or altered), FileNotFoundError when there is no file.
        """
        try:
            with np.load(path, allow_pickle=False) as stored:
                unpacked = sum(member.file_size for member in stored.zip.infolist())
                if unpacked > _MAX_UNPACKED_BYTES:  # a zip bomb, not a model
                    raise ValueError(f"{unpacked:,} bytes once unpacked, more than any model")
                header = json.loads(stored["header"].tobytes().decode("utf-8"))
                if header.get("format") != _FORMAT or header.get("version") != _VERSION:
                    raise ValueError(f"expected {_FORMAT} version {_VERSION}, found {header!r}")
                words = stored["words"].tobytes().decode("utf-8").split("\n")
                unigrams = _stored(stored, "unigrams", np.uint32).astype(np.int64)
                cased = _stored(stored, "cased", np.uint32).astype(np.int64)
                tables = []
                for name in ("bigrams", "trigrams"):
                    keys = _stored(stored, f"{name}_steps", np.uint64)
                    np.cumsum(keys, out=keys)  # in place: the model is tens of MB
                    counts = _stored(stored, f"{name}_counts", np.uint32)
                    tables.append(_CountTable(keys.view(np.int64), counts))
        except (FileNotFoundError, PermissionError, IsADirectoryError):
            raise  # no model there: not the same as a broken one
        except (OSError, EOFError, KeyError, TypeError, ValueError, AttributeError,
                zipfile.BadZipFile, zlib.error) as error:
            raise ValueError(f"{path}: not a readable accent model ({error})") from error
        _check_stored(path, words, unigrams, cased, tables)
        model = cls()
        model._adopt(words, unigrams, cased, *tables)
        return model

    # ---- restoring

    def restore(self, query: str) -> str:
        """The most likely accented form of ``query``.

        The user's case, punctuation and numbers stay; so does every word they
        typed with diacritics (it is also context for its neighbours), and any
        word the model never saw.

        >>> model.restore("Luan chuyển CAN BO, 2024")  # doctest: +SKIP
        'Luân chuyển CÁN BỘ, 2024'
        """
        return self._restore(normalize_query(query))[0]

    def suggest(self, query: str) -> str | None:
        """``restore(query)`` when that adds accents the user left out, else None.

        >>> model.suggest("gia vang"), model.suggest("giá vàng")  # doctest: +SKIP
        ('giá vàng', None)
        """
        typed = normalize_query(query)
        restored, restorable = self._restore(typed)
        return restored if restorable and restored != typed else None

    def _restore(self, typed: str) -> tuple[str, bool]:
        """The restored text, and whether any word in it was ours to restore."""
        decoder = self._get_decoder()
        slots = [decoder.slot(match) for match in _WORD.finditer(typed)]
        use_case = _case_is_informative([slot.match.group() for slot in slots])
        parts, cursor = [], 0
        for piece in _pieces(typed, slots):
            if not any(slot.plain for slot in piece):
                continue  # nothing to choose: all accented, numbers or unknown
            clues = decoder.case_clues(piece, use_case)
            choices = decoder.best_path([slot.candidates for slot in piece], clues)
            for slot, choice in zip(piece, choices):
                if slot.plain:
                    word = decoder.words[slot.candidates[choice]]
                    parts += [typed[cursor : slot.match.start()], _apply_case(slot.match.group(), word)]
                    cursor = slot.match.end()
        parts.append(typed[cursor:])
        return "".join(parts), any(slot.plain for slot in slots)

    def prepare(self) -> None:
        """Build the decoder :meth:`restore` needs now rather than on its
        first call (a few hundred milliseconds for corpus C's model)."""
        self._get_decoder()

    def _get_decoder(self) -> _Decoder:
        if self._decoder is None:
            self._flush()
            self._decoder = _Decoder(self)
        return self._decoder


def _pieces(typed: str, slots: list[_Slot]) -> list[list[_Slot]]:
    """Split the words of a query where punctuation stands between them, and
    every ``_MAX_PIECE`` words, so that a pasted page costs time in proportion
    to its length and no more memory than a sentence."""
    pieces: list[list[_Slot]] = []
    previous_end = None
    for slot in slots:
        gap = typed[previous_end : slot.match.start()] if previous_end is not None else "start"
        if gap.strip() or len(pieces[-1]) >= _MAX_PIECE:
            pieces.append([])
        pieces[-1].append(slot)
        previous_end = slot.match.end()
    return pieces


def _check_stored(path: object, words: list[str], unigrams: np.ndarray, cased: np.ndarray,
                  tables: list[_CountTable]) -> None:
    """Refuse a file whose arrays do not fit together (truncated, tampered)."""
    if words[: len(_RESERVED)] != list(_RESERVED) or len(set(words)) != len(words):
        raise ValueError(f"{path}: expected the reserved words {_RESERVED} first, then distinct words")
    if not len(words) == len(unigrams) == len(cased) or cased.ndim != 2 or cased.shape[1] != 2:
        raise ValueError(f"{path}: {len(words)} words but {len(unigrams)} counts, cased {cased.shape}")
    for table, order in zip(tables, (2, 3)):
        keys = table.keys
        if len(keys) != len(table.counts):
            raise ValueError(f"{path}: {order}-gram codes and counts differ in length")
        if len(keys) and (
            keys[0] < 0 or (keys[1:] <= keys[:-1]).any()
            or keys[-1] >> (_ID_BITS * (order - 1)) >= len(words)  # sorted: the largest first id
            or _largest_later_id(keys, order) >= len(words)
        ):
            raise ValueError(f"{path}: {order}-gram codes are unsorted or name unknown words")


def _largest_later_id(keys: np.ndarray, order: int) -> int:
    """The largest word id in any position but the first of packed n-grams."""
    ids = np.empty_like(keys)  # one scratch array, however many positions
    largest = 0
    for position in range(1, order):
        np.right_shift(keys, _ID_BITS * (order - 1 - position), out=ids)
        np.bitwise_and(ids, _ID_MASK, out=ids)
        largest = max(largest, int(ids.max()))
    return largest


def _stored(stored: np.lib.npyio.NpzFile, name: str, dtype: type) -> np.ndarray:
    values = stored[name]
    if values.dtype != dtype or values.ndim != (2 if name == "cased" else 1):
        expected = np.dtype(dtype).name
        raise ValueError(f"expected {name} as {expected}, found {values.dtype} {values.shape}")
    return values


def _folded(word: str) -> str:
    """``fold_text`` of a stored word, skipping the call for plain ASCII."""
    return word if word.isascii() else fold_text(word)  # stored words are lowercase


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal neighbours in ``values``."""
    if len(values) == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return starts, np.diff(np.append(starts, len(values)))


def _grown(counts: np.ndarray, size: int) -> np.ndarray:
    """``counts`` with zero rows added up to ``size`` rows."""
    if len(counts) >= size:
        return counts
    grown = np.zeros((size, *counts.shape[1:]), counts.dtype)
    grown[: len(counts)] = counts
    return grown


def _narrow(counts: np.ndarray) -> np.ndarray:
    """``counts`` as uint32 when they fit (they always do below 4 billion)."""
    return counts.astype(np.uint32) if not len(counts) or counts.max() < 1 << 32 else counts


def _utf8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
