"""Put back the diacritics of a query typed without them ("Có phải bạn muốn tìm …").

    >>> model = AccentModel()
    >>> for text in corpus_texts:          # titles, summaries, bodies
    ...     model.add_text(text)
    >>> model.restore("luan chuyen can bo Ha Noi")
    'luân chuyển cán bộ Hà Nội'
    >>> model.suggest("luân chuyển cán bộ") is None    # nothing to add
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
  (``can`` → cán, cần, căn, cạn, …); a beam-pruned Viterbi search picks the
  most likely sentence. How often a syllable is written with a capital inside
  a sentence is a second clue (``Ha`` → Hà, not hạ), used only when the user's
  own capitals show that they capitalise names;
* :class:`AccentModel`: training, merging, storage and the public calls.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
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
_PAIR_MASK = (1 << 2 * _ID_BITS) - 1
_MAX_WORDS = 1 << _ID_BITS


def _case_class(token: str) -> int:
    """>>> [_case_class(t) for t in ("hà", "Hà", "HÀ", "iPhone")]
    [0, 1, 2, 2]"""
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
    distinct token, so the per-token cost of training is one dict lookup.

    Words go through ``normalize_text`` here (lookalike letters, tone
    placement ``hoà`` → ``hòa``): on a single word it makes the same change
    it makes inside a document, and a corpus has few distinct words.
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
            word = normalize_text(token).lower()
            code = self._model._word_id(word) << 2 | _case_class(token)
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
    if len(keys) == 0:
        return keys, counts
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(counts, starts)


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
        # Geometric merging: each code is re-sorted O(log n) times, and memory
        # stays a small multiple of the table.
        if self._waiting_size > max(len(self._keys), 4_000_000):
            self._settle()

    def _settle(self) -> None:
        if not self._waiting:
            return
        parts = [(self._keys, self._counts), *self._waiting]
        self._waiting, self._waiting_size = [], 0
        self._keys, self._counts = _sum_duplicates(
            np.concatenate([k for k, _ in parts]), np.concatenate([c for _, c in parts])
        )

    def pruned(self, min_count: int) -> _CountTable:
        keep = self.counts >= min_count
        return _CountTable(self.keys[keep], self.counts[keep])

    def renumbered(self, new_ids: np.ndarray, order: int) -> _CountTable:
        """The same counts with every word id ``i`` replaced by ``new_ids[i]``."""
        keys = _pack(*(new_ids[part] for part in _unpack(self.keys, order)))
        return _CountTable(*_sum_duplicates(keys, self.counts))


# -- the language model ------------------------------------------------------


class _Lookup:
    """Vectorised exact-match lookup in sorted codes."""

    _SENTINEL = np.iinfo(np.int64).max  # above every code: no bounds check needed

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = np.r_[keys, self._SENTINEL]

    def find(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, index) per code; where not found the index is some other
        entry (or one past the end), so values must be masked with ``found``."""
        where = self.keys.searchsorted(codes)
        return self.keys[where] == codes, where


def _context_totals(
    child_keys: np.ndarray, child_counts: np.ndarray, discount: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct context of sorted n-gram codes: its code, the sum of its
    children's counts, and the sum of their discounted counts."""
    contexts = child_keys >> _ID_BITS
    counts = child_counts.astype(np.float64)
    if len(contexts) == 0:
        return contexts, counts, counts
    starts = np.flatnonzero(np.r_[True, contexts[1:] != contexts[:-1]])
    return contexts[starts], np.add.reduceat(counts, starts), np.add.reduceat(counts - discount, starts)


class _LanguageModel:
    """Trigram model with interpolated absolute discounting.

    P(c | a b) = (n(abc) - D) / n(ab) + g(ab) * P(c | b), where g(ab) is all
    the probability that the kept trigrams of ``ab`` leave over, so pruned
    n-grams fall back to the shorter context; the same one order down, and
    P(c) = n(c) / N at the bottom. Per-bigram values are computed when the
    model loads (sorted arrays, no random access); the trigram term is
    worked out at query time, for the few hundred trigrams a query asks about.
    """

    DISCOUNT = 0.8

    def __init__(self, unigrams: np.ndarray, bigrams: _CountTable, trigrams: _CountTable) -> None:
        counts = unigrams.astype(np.float64)
        self.unigram = (np.maximum(counts, 0.5) / max(counts.sum(), 1.0)).astype(np.float32)

        self.bigrams = _Lookup(bigrams.keys)
        first, second = _unpack(bigrams.keys, 2)
        words, totals, kept = _context_totals(bigrams.keys, bigrams.counts, self.DISCOUNT)
        word_total = np.maximum(counts, 1.0)
        word_total[words] = np.maximum(word_total[words], totals)
        self.bigram_rest = np.ones(len(counts), np.float32)
        self.bigram_rest[words] = np.clip(1.0 - kept / word_total[words], 1e-6, 1.0)
        self.bigram = np.r_[
            (bigrams.counts - self.DISCOUNT) / word_total[first]
            + self.bigram_rest[first] * self.unigram[second],
            0.0,  # padding entry for "not found"
        ].astype(np.float32)

        # As the context of trigrams, each bigram needs its total and its g(ab).
        self.trigrams = _Lookup(trigrams.keys)
        self.trigram_counts = np.r_[trigrams.counts, 0].astype(np.float32)
        pairs, totals, kept = _context_totals(trigrams.keys, trigrams.counts, self.DISCOUNT)
        found, at = self.bigrams.find(pairs)
        self.pair_total = np.ones(len(bigrams.keys) + 1, np.float32)
        self.pair_rest = np.ones(len(bigrams.keys) + 1, np.float32)
        pair_totals = np.maximum(np.where(found, bigrams.counts[at], 0), totals)
        self.pair_total[at[found]] = pair_totals[found]
        self.pair_parent = np.zeros(len(bigrams.keys) + 1, bool)
        self.pair_parent[at[found]] = True
        self.pair_rest[at[found]] = np.clip(1.0 - kept / pair_totals, 1e-6, 1.0)[found]

    def pair_values(self, chain: list[np.ndarray]) -> list[_PairValues]:
        """The bigram values of each two neighbouring candidate arrays of
        ``chain``, each of shape (len(b), len(c)); one lookup for the chain."""
        codes = [_pack(b[:, None], c[None, :]) for b, c in zip(chain, chain[1:])]
        found, at = self.bigrams.find(np.concatenate([code.ravel() for code in codes]))
        at = np.where(found, at, len(self.bigram) - 1)  # the padding entry
        probs, rests, totals = self.bigram[at], self.pair_rest[at], self.pair_total[at]
        parents = self.pair_parent[at]
        values, start = [], 0
        for b, c, code in zip(chain, chain[1:], codes):
            end, shape = start + code.size, code.shape
            backoff = (self.bigram_rest[b][:, None] * self.unigram[c][None, :]).ravel()
            prob = np.where(found[start:end], probs[start:end], backoff)
            values.append(_PairValues(
                prob.reshape(shape), found[start:end].reshape(shape), parents[start:end].reshape(shape),
                rests[start:end].reshape(shape), totals[start:end].reshape(shape),
            ))
            start = end
        return values

    def trigram_scores(
        self, a: np.ndarray, b: np.ndarray, c: np.ndarray, ab: _PairValues, bc: _PairValues
    ) -> np.ndarray:
        """log P(c | a b) for every combination, shape (len(a), len(b), len(c)),
        given the :meth:`pair_values` of (a, b) and (b, c) for these words."""
        # Only look up trigrams that can exist: both their bigrams were seen
        # and ab heads some trigram. Most combinations fail this, and each
        # lookup in the big sorted array costs a cache miss or two.
        possible = np.flatnonzero(ab.parent[:, :, None] & bc.found[None, :, :])
        counts = np.full((len(a), len(b), len(c)), self.DISCOUNT, np.float32)
        if len(possible):
            i, j, k = np.unravel_index(possible, counts.shape)
            found, at = self.trigrams.find(_pack(a[i], b[j], c[k]))
            counts.flat[possible] = np.where(found, self.trigram_counts[at], self.DISCOUNT)
        own = (counts - self.DISCOUNT) / ab.total[:, :, None]
        return np.log(own + ab.rest[:, :, None] * bc.prob[None])


class _PairValues(NamedTuple):
    """Bigram values for a grid of (b, c) candidates, as the decoder needs them."""

    prob: np.ndarray  # P(c | b)
    found: np.ndarray  # bc was seen
    parent: np.ndarray  # bc heads at least one kept trigram
    rest: np.ndarray  # g(bc) as a trigram context
    total: np.ndarray  # n(bc) as a trigram context

    def rows(self, kept_rows: np.ndarray, kept_columns: np.ndarray | None = None) -> _PairValues:
        where = np.ix_(kept_rows, kept_columns) if kept_columns is not None else kept_rows
        return _PairValues(*(values[where] for values in self))


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
    BEAM_WIDTH = 6  # candidates kept alive per slot during the search
    BEAM = 12.0  # … and only those within this log-probability of the best
    CASE_WEIGHT = 1.0

    def __init__(self, model: AccentModel) -> None:
        self.language = _LanguageModel(model._unigrams, model._bigrams, model._trigrams)
        self.words = model._words
        self.ids = model._ids
        self.candidates = self._candidate_table(model._words, model._unigrams)
        # log P(typed lower | word), log P(typed Capitalised | word) inside a
        # sentence piece, add-one smoothed.
        cased = model._cased.astype(np.float64) + 1.0
        self.case = np.log(cased / cased.sum(axis=1, keepdims=True)).astype(np.float32)

    def _candidate_table(self, words: list[str], counts: np.ndarray) -> dict[str, np.ndarray]:
        groups: dict[str, list[int]] = {}
        for word_id in np.flatnonzero(counts > 0):
            if word_id >= len(_RESERVED):
                groups.setdefault(fold_text(words[word_id]), []).append(int(word_id))
        table = {}
        for folded, ids in groups.items():
            ids.sort(key=lambda i: -counts[i])
            floor = counts[ids[0]] * self.MIN_SHARE
            table[folded] = np.array([i for i in ids[: self.MAX_CANDIDATES] if counts[i] >= floor])
        return table

    def slot(self, match: re.Match[str]) -> _Slot:
        token = match.group()
        lowered = token.lower()
        if not token.isalpha():
            return _Slot(match, np.array([NUM]), False)
        if has_diacritics(token):  # the user chose these accents: keep them
            return _Slot(match, np.array([self.ids.get(lowered, UNK)]), False)
        if lowered in self.candidates:
            return _Slot(match, self.candidates[lowered], True)
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

        The state is the pair (previous word, current word). After each slot
        only the ``BEAM_WIDTH`` best candidates stay alive, which keeps a
        query at a few hundred trigram lookups per word.
        """
        sep = np.array([SEP])
        chain = [sep, sep, *slots, sep]
        pairs = self.language.pair_values(chain)  # pairs[t] is (chain[t], chain[t + 1])
        alive = [np.zeros(1, np.intp), np.zeros(1, np.intp)]  # per chain position
        scores = np.zeros((1, 1), np.float32)  # over the alive (t - 2, t - 1)
        pointers: list[np.ndarray] = []
        for t in range(2, len(chain)):
            before, last = alive[t - 2], alive[t - 1]
            step = scores[:, :, None] + self.language.trigram_scores(
                chain[t - 2][before], chain[t - 1][last], chain[t],
                pairs[t - 2].rows(before, last), pairs[t - 1].rows(last),
            )
            came_from, scores = step.argmax(axis=0), step.max(axis=0)
            clue = clues[t - 2] if t - 2 < len(clues) else None
            if clue is not None:
                scores = scores + clue[None, :]
            kept = self._alive(scores.max(axis=0))
            scores, came_from = scores[:, kept], came_from[:, kept]
            alive.append(kept)
            pointers.append(came_from)
        # Walk back from the closing SEP: pointers[i] belongs to chain[i + 2].
        chosen: list[int] = []
        previous, current = int(scores[:, 0].argmax()), 0
        for t in range(len(chain) - 1, 2, -1):
            chosen.append(int(alive[t - 1][previous]))
            previous, current = int(pointers[t - 2][previous, current]), previous
        return chosen[::-1]

    def _alive(self, best: np.ndarray) -> np.ndarray:
        if len(best) <= 1:
            return np.arange(len(best))
        order = np.argsort(-best)[: self.BEAM_WIDTH]
        return order[best[order] >= best[order[0]] - self.BEAM]


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

    #: Trigrams and words seen fewer times than this are not saved. Every
    #: bigram is kept: they are few and worth a few tenths of a percent.
    MIN_TRIGRAM_COUNT = 2
    MIN_BIGRAM_COUNT = 1
    MIN_WORD_COUNT = 2
    _FLUSH_TOKENS = 1 << 21

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

    def add_text(self, text: str) -> None:
        """Learn from one accented text: a title, a summary or a whole body."""
        if not text:
            return
        # NFC keeps combining marks from splitting words; the rest of
        # normalize_text is applied per distinct word by _TokenCodes, which
        # is the same result as the full pass at a tenth of the cost. Text
        # with invisible or control characters takes the full pass, because
        # removing those can join two pieces into one word.
        text = unicodedata.normalize("NFC", text)
        if not text.replace("\n", " ").isprintable():
            text = normalize_text(text)
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
        for mine, theirs, order in ((self._bigrams, other._bigrams, 2), (self._trigrams, other._trigrams, 3)):
            renumbered = theirs.renumbered(new_ids, order)
            mine.add_counts(renumbered.keys, renumbered.counts)
        self._decoder = None

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
        """Same counts for the same words, whatever ids they have."""
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
        self._flush()
        return {
            "words": self._words,
            "unigrams": self._unigrams,
            "cased": self._cased,
            "bigrams": (self._bigrams.keys, self._bigrams.counts),
            "trigrams": (self._trigrams.keys, self._trigrams.counts),
        }

    def __setstate__(self, state: dict) -> None:
        self.__init__()
        self._adopt(
            state["words"], state["unigrams"], state["cased"],
            _CountTable(*state["bigrams"]), _CountTable(*state["trigrams"]),
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
        # Keep frequent words and those a kept n-gram needs, renumbered densely.
        needed = self._unigrams >= self.MIN_WORD_COUNT
        needed[: len(_RESERVED)] = True
        for table, order in ((bigrams, 2), (trigrams, 3)):
            for part in _unpack(table.keys, order):
                needed[part] = True
        kept = np.flatnonzero(needed)
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

    @classmethod
    def load(cls, path: str | PathLike[str]) -> AccentModel:
        """Read a model written by :meth:`save`; it can be trained further."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                header = json.loads(stored["header"].tobytes().decode("utf-8"))
                if header.get("format") != _FORMAT or header.get("version") != _VERSION:
                    raise ValueError(f"expected {_FORMAT} version {_VERSION}, found {header!r}")
                words = stored["words"].tobytes().decode("utf-8").split("\n")
                unigrams = stored["unigrams"].astype(np.int64)
                cased = stored["cased"].astype(np.int64)
                tables = [
                    _CountTable(
                        np.cumsum(stored[f"{name}_steps"], dtype=np.uint64).astype(np.int64),
                        stored[f"{name}_counts"].astype(np.int64),
                    )
                    for name in ("bigrams", "trigrams")
                ]
        except (OSError, KeyError, ValueError, AttributeError, zipfile.BadZipFile) as error:
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
            choices = decoder.best_path([s.candidates for s in piece], decoder.case_clues(piece, use_case))
            for slot, choice in zip(piece, choices):
                if slot.plain:
                    word = decoder.words[slot.candidates[choice]]
                    parts += [typed[cursor : slot.match.start()], _apply_case(slot.match.group(), word)]
                    cursor = slot.match.end()
        parts.append(typed[cursor:])
        return "".join(parts), any(slot.plain for slot in slots)

    def _get_decoder(self) -> _Decoder:
        if self._decoder is None:
            self._flush()
            self._decoder = _Decoder(self)
        return self._decoder


def _pieces(typed: str, slots: list[_Slot]) -> list[list[_Slot]]:
    """Split the words of a query where punctuation stands between them."""
    pieces: list[list[_Slot]] = []
    previous_end = None
    for slot in slots:
        if previous_end is None or typed[previous_end : slot.match.start()].strip():
            pieces.append([])
        pieces[-1].append(slot)
        previous_end = slot.match.end()
    return pieces


def _check_stored(path: object, words: list[str], unigrams: np.ndarray, cased: np.ndarray,
                  tables: list[_CountTable]) -> None:
    """Refuse a file whose arrays do not fit together (truncated, tampered)."""
    if words[: len(_RESERVED)] != list(_RESERVED):
        raise ValueError(f"{path}: expected the reserved words {_RESERVED} first")
    if not len(words) == len(unigrams) == len(cased) or cased.ndim != 2 or cased.shape[1] != 2:
        raise ValueError(f"{path}: {len(words)} words but {len(unigrams)} counts, cased {cased.shape}")
    for table, order in zip(tables, (2, 3)):
        keys = table.keys
        if len(keys) != len(table.counts):
            raise ValueError(f"{path}: {order}-gram codes and counts differ in length")
        if len(keys) and (
            keys[0] < 0 or (keys[1:] <= keys[:-1]).any()
            or (keys >> (_ID_BITS * order)).any()
            or max(int(part.max()) for part in _unpack(keys, order)) >= len(words)
        ):
            raise ValueError(f"{path}: {order}-gram codes are unsorted or name unknown words")


def _grown(counts: np.ndarray, size: int) -> np.ndarray:
    """``counts`` with zero rows added up to ``size`` rows."""
    if len(counts) >= size:
        return counts
    grown = np.zeros((size, *counts.shape[1:]), counts.dtype)
    grown[: len(counts)] = counts
    return grown


def _utf8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
