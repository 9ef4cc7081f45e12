"""Put back the diacritics of a query typed without them ("Có phải bạn muốn tìm …").

    >>> model = AccentModel()
    >>> model.add_text("Bộ Nội vụ luân chuyển cán bộ về Hà Nội.")   # … many articles
    >>> model.restore("luan chuyen can bo Ha Noi")
    'luân chuyển cán bộ Hà Nội'

The model is learned from the corpus's own accented text, never from a hand
list. It has three parts, each in its own small piece below:

* a vocabulary of accented syllables, lowercased, after ``normalize_text``;
* n-gram counts (1, 2, 3) over those syllables, packed into sorted ``int64``
  codes so that tens of millions of them fit in numpy arrays instead of dicts;
* a decoder: each typed syllable may be any accented syllable that folds to
  it (``can`` → cán, cần, căn, cạn, …); a Viterbi search over a trigram
  language model with stupid backoff picks the most likely sentence. How
  often each syllable is written with a capital inside a sentence is a second,
  independent clue, used only when the user's own capitals say something.

Punctuation and line breaks end an n-gram context; numbers are one shared
token ``<num>``, so ``ngày 1/4/1975`` and ``ngày 30/4`` teach the same thing.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import re
import unicodedata
import zipfile
from array import array
from os import PathLike
from pathlib import Path
from typing import Iterable

import numpy as np

from vn_search.analysis.fold import fold_text, has_diacritics
from vn_search.analysis.normalize import normalize_query, normalize_text

__all__ = ["AccentModel"]

# -- tokens ----------------------------------------------------------------

# A word is a run of letters and digits; anything else that is not a space
# (punctuation, "_", a line break) ends the n-gram context.
_TRAIN_TOKEN = re.compile(r"[^\W_]+|[^\w\s]+|_+|\n")
_WORD = re.compile(r"[^\W_]+")

# Reserved ids. SEP stands between two contexts (start and end of a sentence
# piece), NUM for every token holding a digit, UNK for a word never seen.
SEP, NUM, UNK = 0, 1, 2
_RESERVED = ("<sep>", "<num>", "<unk>")

# Case of a token as seen in training: the decoder only uses lower vs.
# capitalised *inside* a sentence piece; ALL-CAPS says nothing about a name.
_LOWER, _CAPITAL, _OTHER_CASE = 0, 1, 2

_ID_BITS = 21  # 2 M syllables; three ids pack into one int64 code
_ID_MASK = (1 << _ID_BITS) - 1
_MAX_WORDS = 1 << _ID_BITS


def _case_class(token: str) -> int:
    if token.islower():
        return _LOWER
    if token[0].isupper() and (len(token) == 1 or token[1:].islower()):
        return _CAPITAL
    return _OTHER_CASE


def _apply_case(typed: str, restored: str) -> str:
    """Give ``restored`` the case pattern the user typed, letter by letter.

    >>> _apply_case("Ha", "hà"), _apply_case("UBND", "ubnd"), _apply_case("iPhone", "iphone")
    ('Hà', 'UBND', 'iPhone')
    """
    if typed.islower():
        return restored
    if len(typed) != len(restored):  # folding changed the length: rare scripts
        return restored.upper() if typed.isupper() else restored.capitalize()
    return "".join(r.upper() if t.isupper() else r for t, r in zip(typed, restored))


# -- packed n-gram counts --------------------------------------------------


def _pack(*ids: np.ndarray) -> np.ndarray:
    code = ids[0].astype(np.int64)
    for more in ids[1:]:
        code = (code << _ID_BITS) | more
    return code


def _unpack(codes: np.ndarray, order: int) -> list[np.ndarray]:
    return [(codes >> (_ID_BITS * (order - 1 - k))) & _ID_MASK for k in range(order)]


def _sum_duplicates(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort ``keys`` and add up the counts of equal keys."""
    # A stable sort is timsort for int64: two sorted runs merge in linear time.
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    if len(keys) == 0:
        return keys, counts.astype(np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(counts.astype(np.int64), starts)


class _CountTable:
    """How often each packed n-gram code was seen: sorted keys, parallel counts.

    New codes arrive in chunks and are folded in lazily, so that training
    does not re-sort the whole table for every document.
    """

    def __init__(self, keys: np.ndarray | None = None, counts: np.ndarray | None = None) -> None:
        self.keys = np.zeros(0, np.int64) if keys is None else keys
        self.counts = np.zeros(0, np.int64) if counts is None else counts
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []
        self._chunk_size = 0

    def add_codes(self, codes: np.ndarray) -> None:
        keys, counts = np.unique(codes, return_counts=True)
        self._chunks.append((keys, counts))
        self._chunk_size += len(keys)
        # Merge when the waiting chunks outgrow the table: memory stays within
        # a small multiple of the table, and each code is re-sorted O(log n) times.
        if self._chunk_size > max(len(self.keys), 4_000_000):
            self.settle()

    def add_counts(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self._chunks.append((keys, counts))
        self._chunk_size += len(keys)

    def settle(self) -> None:
        """Fold every waiting chunk into the sorted table."""
        if not self._chunks:
            return
        parts = [(self.keys, self.counts), *self._chunks]
        self._chunks, self._chunk_size = [], 0
        self.keys, self.counts = _sum_duplicates(
            np.concatenate([k for k, _ in parts]), np.concatenate([c for _, c in parts])
        )

    def pruned(self, min_count: int) -> _CountTable:
        self.settle()
        keep = self.counts >= min_count
        return _CountTable(self.keys[keep], self.counts[keep])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _CountTable):
            return NotImplemented
        self.settle()
        other.settle()
        return np.array_equal(self.keys, other.keys) and np.array_equal(self.counts, other.counts)


# -- the language model used for decoding ----------------------------------


class _LogProbTable:
    """Sorted n-gram codes with a log-probability each; vectorised lookup."""

    def __init__(self, keys: np.ndarray, logprobs: np.ndarray) -> None:
        self.keys = keys
        self.logprobs = logprobs.astype(np.float32)

    def lookup(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, logprob) for each code; logprob is meaningless where not found."""
        if len(self.keys) == 0:
            return np.zeros(codes.shape, bool), np.zeros(codes.shape, np.float32)
        where = np.searchsorted(self.keys, codes)
        where[where == len(self.keys)] = 0
        return self.keys[where] == codes, self.logprobs[where]


class _Decoder:
    """Everything :meth:`AccentModel.restore` needs, computed once from counts."""

    BACKOFF = math.log(0.4)  # stupid backoff (Brants et al. 2007)
    MAX_CANDIDATES = 8  # per folded syllable; the rest are typos and names
    MIN_SHARE = 0.001  # of the folded syllable's occurrences
    CASE_WEIGHT = 1.0

    def __init__(self, model: AccentModel) -> None:
        unigrams = model._unigrams.astype(np.float64)
        total = max(unigrams[NUM + 1 :].sum(), 1.0)
        self.unigram = np.log(np.maximum(unigrams, 0.5) / total).astype(np.float32)
        bigrams, trigrams = model._bigrams, model._trigrams
        bigrams.settle()
        trigrams.settle()
        first = bigrams.keys >> _ID_BITS
        self.bigram = _LogProbTable(
            bigrams.keys, np.log(bigrams.counts / np.maximum(unigrams[first], 1.0))
        )
        context_at = np.searchsorted(bigrams.keys, trigrams.keys >> _ID_BITS)
        context_at[context_at == len(bigrams.keys)] = 0
        context = np.where(
            bigrams.keys[context_at] == trigrams.keys >> _ID_BITS, bigrams.counts[context_at], 0
        ) if len(bigrams.keys) else np.zeros(len(trigrams.keys))
        self.trigram = _LogProbTable(
            trigrams.keys, np.log(trigrams.counts / np.maximum(context, trigrams.counts))
        )
        # log P(typed lower | syllable), log P(typed Capitalised | syllable)
        # inside a sentence piece, add-one smoothed.
        lower, capital = model._cased[:, _LOWER] + 1.0, model._cased[:, _CAPITAL] + 1.0
        self.case = np.log(np.stack([lower, capital], axis=1) / (lower + capital)[:, None])
        self.words = model._words
        self.ids = model._ids
        self.candidates = self._candidates(model)

    def _candidates(self, model: AccentModel) -> dict[str, np.ndarray]:
        groups: dict[str, list[int]] = {}
        counts = model._unigrams
        for word_id in np.flatnonzero(counts[: len(model._words)] > 0):
            if word_id > UNK:
                groups.setdefault(fold_text(model._words[word_id]), []).append(int(word_id))
        candidates = {}
        for folded, ids in groups.items():
            ids.sort(key=lambda i: -counts[i])
            floor = counts[ids[0]] * self.MIN_SHARE
            kept = [i for i in ids[: self.MAX_CANDIDATES] if counts[i] >= floor]
            candidates[folded] = np.array(kept, np.int64)
        return candidates

    def trigram_scores(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        """log P(c | a b) for every combination: shape (len(a), len(b), len(c))."""
        bc_found, bc = self.bigram.lookup(_pack(b[:, None], c[None, :]))
        bigram = np.where(bc_found, bc, self.BACKOFF + self.unigram[c][None, :])
        abc_found, abc = self.trigram.lookup(_pack(a[:, None, None], b[None, :, None], c[None, None, :]))
        return np.where(abc_found, abc, self.BACKOFF + bigram[None, :, :])

    def best_path(self, slots: list[np.ndarray], evidence: list[np.ndarray | None]) -> list[int]:
        """Viterbi over a sentence piece: one candidate id array per slot.

        ``evidence`` holds, per slot, an extra log score per candidate (the
        case clue) or None. Returns the index of the chosen candidate per slot.
        """
        sep = np.array([SEP], np.int64)
        # State: score of the best path ending in (previous, current) candidates.
        scores = np.zeros((1, 1), np.float32)
        history = [sep, sep]
        backpointers: list[np.ndarray] = []
        for slot, extra in zip([*slots, sep], [*evidence, None]):
            step = scores[:, :, None] + self.trigram_scores(history[-2], history[-1], slot)
            best_previous = step.argmax(axis=0)
            scores = np.take_along_axis(step, best_previous[None], axis=0)[0]
            if extra is not None:
                scores = scores + extra[None, :]
            backpointers.append(best_previous)
            history.append(slot)
        # Walk back from the best final state (last slot is the closing SEP).
        current = 0
        previous = int(scores[:, 0].argmax())
        chosen = []
        for pointer in reversed(backpointers[1:]):
            chosen.append(previous)
            previous, current = int(pointer[previous, current]), previous
        return chosen[::-1][: len(slots)] if len(chosen) >= len(slots) else chosen[::-1]


# -- the public model ------------------------------------------------------

_FORMAT = "vn_search.accent-model"
_VERSION = 1


class AccentModel:
    """Folded syllable n-grams → accented forms, learned from accented text.

    >>> model = AccentModel()
    >>> model.add_text("Giá vàng hôm nay tăng mạnh. Giá vàng hôm qua giảm.")
    >>> model.restore("gia vang hom nay")
    'giá vàng hôm nay'

    Training counts are exact (``merge`` of two models equals training one on
    both texts); :meth:`save` prunes rare n-grams, so a loaded model that is
    trained further and saved again keeps only what was frequent enough.
    """

    #: n-grams seen fewer times than this are not saved.
    MIN_COUNT = 2
    _FLUSH_TOKENS = 1 << 21

    def __init__(self) -> None:
        self._words: list[str] = list(_RESERVED)
        self._ids: dict[str, int] = {w: i for i, w in enumerate(_RESERVED)}
        self._token_codes: _TokenCodes = _TokenCodes(self)
        self._pending = array("q")
        self._unigrams = np.zeros(len(_RESERVED), np.int64)
        self._cased = np.zeros((len(_RESERVED), 2), np.int64)
        self._bigrams = _CountTable()
        self._trigrams = _CountTable()
        self._decoder: _Decoder | None = None

    # ---- training

    def add_text(self, text: str) -> None:
        """Learn from one accented text (a title, a summary or a whole body)."""
        if not text:
            return
        # NFC first so that no combining mark splits a word; the rest of
        # normalize_text is applied once per distinct token (see _TokenCodes),
        # which gives the same syllables at a fraction of the cost.
        text = unicodedata.normalize("NFC", text)
        if not text.replace("\n", " ").isprintable():
            text = normalize_text(text)  # invisible or control characters: the full pass
        self._pending.append(SEP)
        self._pending.extend(map(self._token_codes.__getitem__, _TRAIN_TOKEN.findall(text)))
        self._pending.append(SEP)
        self._decoder = None
        if len(self._pending) >= self._FLUSH_TOKENS:
            self._flush()

    def _word_id(self, word: str) -> int:
        word_id = self._ids.get(word)
        if word_id is None:
            if len(self._words) >= _MAX_WORDS:
                return UNK
            word_id = self._ids[word] = len(self._words)
            self._words.append(word)
        return word_id

    def _flush(self) -> None:
        """Count the buffered tokens into the n-gram tables."""
        if not self._pending:
            return
        codes = np.frombuffer(self._pending, dtype=np.int64)
        ids, case = codes >> 2, codes & 3
        repeated_sep = (ids == SEP) & (np.r_[-1, ids[:-1]] == SEP)
        ids, case = ids[~repeated_sep], case[~repeated_sep]
        self._pending = array("q")

        size = len(self._words)
        self._unigrams = _grow(self._unigrams, size) + np.bincount(ids, minlength=size)
        inner = np.r_[False, ids[:-1] != SEP]
        self._cased = _grow(self._cased, size)
        for column in (_LOWER, _CAPITAL):
            self._cased[:, column] += np.bincount(ids[inner & (case == column)], minlength=size)
        self._bigrams.add_codes(_pack(ids[:-1], ids[1:]))
        a, b, c = ids[:-2], ids[1:-1], ids[2:]
        inside = b != SEP
        self._trigrams.add_codes(_pack(a[inside], b[inside], c[inside]))

    def merge(self, other: AccentModel) -> None:
        """Add ``other``'s counts to this model (e.g. from a worker process)."""
        self._flush()
        other._flush()
        # Translate the other model's ids into ours, adding the words we lack.
        id_map = np.array([self._word_id(w) for w in other._words], np.int64)
        size = len(self._words)
        self._unigrams = _grow(self._unigrams, size)
        np.add.at(self._unigrams, id_map, other._unigrams)
        self._cased = _grow(self._cased, size)
        np.add.at(self._cased, id_map, other._cased)
        for mine, theirs, order in ((self._bigrams, other._bigrams, 2), (self._trigrams, other._trigrams, 3)):
            theirs.settle()
            keys = _pack(*(id_map[part] for part in _unpack(theirs.keys, order)))
            mine.add_counts(*_sum_duplicates(keys, theirs.counts))
            mine.settle()
        self._decoder = None

    # ---- pickling: workers send counts, not the token cache

    def __getstate__(self) -> dict:
        self._flush()
        self._bigrams.settle()
        self._trigrams.settle()
        return {
            "words": self._words,
            "unigrams": self._unigrams,
            "cased": self._cased,
            "bigrams": (self._bigrams.keys, self._bigrams.counts),
            "trigrams": (self._trigrams.keys, self._trigrams.counts),
        }

    def __setstate__(self, state: dict) -> None:
        self.__init__()
        self._set_counts(state["words"], state["unigrams"], state["cased"],
                         _CountTable(*state["bigrams"]), _CountTable(*state["trigrams"]))

    def _set_counts(self, words: list[str], unigrams: np.ndarray, cased: np.ndarray,
                    bigrams: _CountTable, trigrams: _CountTable) -> None:
        self._words = list(words)
        self._ids = {w: i for i, w in enumerate(self._words)}
        self._unigrams, self._cased = unigrams, cased
        self._bigrams, self._trigrams = bigrams, trigrams
        self._decoder = None

    def __eq__(self, other: object) -> bool:
        """Same counts for the same words (ids may differ)."""
        if not isinstance(other, AccentModel):
            return NotImplemented
        return self._as_counts() == other._as_counts()

    def _as_counts(self) -> dict:
        state = self.__getstate__()
        words = state["words"]
        grams = {}
        for name, order in (("bigrams", 2), ("trigrams", 3)):
            keys, counts = state[name]
            parts = [np.asarray(words, dtype=object)[p] for p in _unpack(keys, order)]
            grams[name] = dict(zip(zip(*parts), counts.tolist()))
        grams["unigrams"] = {w: (int(n), *map(int, c)) for w, n, c in
                             zip(words, state["unigrams"], state["cased"]) if n}
        return grams

    # ---- storage

    def save(self, path: str | PathLike[str]) -> None:
        """Write the pruned counts as a zip of plain arrays (numpy ``.npz``).

        Nothing in the file is executable: it is read back with
        ``allow_pickle=False``.
        """
        self._flush()
        bigrams = self._bigrams.pruned(self.MIN_COUNT)
        trigrams = self._trigrams.pruned(self.MIN_COUNT)
        # Keep the words that are frequent or needed by a kept n-gram, and
        # renumber them densely so the file holds no dead ids.
        needed = self._unigrams >= self.MIN_COUNT
        needed[: len(_RESERVED)] = True
        for table, order in ((bigrams, 2), (trigrams, 3)):
            for part in _unpack(table.keys, order):
                needed[part] = True
        kept = np.flatnonzero(needed)
        renumber = np.full(len(self._words), UNK, np.int64)
        renumber[kept] = np.arange(len(kept))
        words = [self._words[i] for i in kept]
        arrays = {
            "header": _bytes(json.dumps({"format": _FORMAT, "version": _VERSION})),
            "words": _bytes("\n".join(words)),
            "unigrams": self._unigrams[kept].astype(np.uint32),
            "cased": self._cased[kept].astype(np.uint32),
        }
        for name, table, order in (("bigrams", bigrams, 2), ("trigrams", trigrams, 3)):
            keys, counts = _sum_duplicates(
                _pack(*(renumber[p] for p in _unpack(table.keys, order))), table.counts
            )
            # Sorted codes differ little from one to the next: store the steps.
            arrays[f"{name}_steps"] = np.diff(keys, prepend=0).astype(np.uint64)
            arrays[f"{name}_counts"] = counts.astype(np.uint32)
        with open(path, "wb") as out:
            np.savez_compressed(out, **arrays)

    @classmethod
    def load(cls, path: str | PathLike[str]) -> AccentModel:
        """Read a model written by :meth:`save`; it can be trained further."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                header = json.loads(stored["header"].tobytes().decode())
                if header.get("format") != _FORMAT or header.get("version") != _VERSION:
                    raise ValueError(f"expected {_FORMAT} version {_VERSION}, found {header}")
                words = stored["words"].tobytes().decode().split("\n")
                unigrams = stored["unigrams"].astype(np.int64)
                cased = stored["cased"].astype(np.int64)
                tables = []
                for name in ("bigrams", "trigrams"):
                    keys = np.cumsum(stored[f"{name}_steps"]).astype(np.int64)
                    tables.append(_CountTable(keys, stored[f"{name}_counts"].astype(np.int64)))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path}: not a readable accent model ({error})") from error
        if words[: len(_RESERVED)] != list(_RESERVED) or not (
            len(words) == len(unigrams) == len(cased)
        ):
            raise ValueError(f"{path}: word list and counts disagree")
        for table in tables:
            if len(table.keys) and (table.keys.min() < 0 or (table.keys >> (2 * _ID_BITS)).max() >= len(words)):
                raise ValueError(f"{path}: n-gram refers to a word that is not in the file")
        model = cls()
        model._set_counts(words, unigrams, cased, *tables)
        return model

    # ---- restoring

    def restore(self, query: str) -> str:
        """The most likely accented form of ``query``, keeping what the user typed.

        >>> model.restore("Luan chuyen CAN BO, 2024")   # doctest: +SKIP
        'Luân chuyển CÁN BỘ, 2024'
        """
        return self._restore(normalize_query(query))[0]

    def suggest(self, query: str) -> str | None:
        """``restore(query)`` when it adds accents the user left out, else None."""
        typed = normalize_query(query)
        restored, known_plain = self._restore(typed)
        return restored if known_plain and restored != typed else None

    def _restore(self, typed: str) -> tuple[str, bool]:
        """Restored text and whether any unaccented typed syllable was known."""
        decoder = self._get_decoder()
        words = list(_WORD.finditer(typed))
        if not words:
            return typed, False
        use_case = _case_is_informative([m.group() for m in words])
        output: list[str] = []
        known_plain = False
        cursor = 0
        piece: list[tuple[re.Match[str], np.ndarray, bool]] = []

        def decode_piece() -> None:
            slots = [candidates for _, candidates, _ in piece]
            evidence = []
            for position, (match, candidates, plain) in enumerate(piece):
                token = match.group()
                cls = _case_class(token)
                if use_case and plain and position > 0 and cls in (_LOWER, _CAPITAL) and len(candidates) > 1:
                    evidence.append(decoder.CASE_WEIGHT * decoder.case[candidates, cls])
                else:
                    evidence.append(None)
            for (match, candidates, plain), index in zip(piece, decoder.best_path(slots, evidence)):
                token = match.group()
                restored = _apply_case(token, decoder.words[candidates[index]]) if plain else token
                replacements.append((match, restored))
            piece.clear()

        replacements: list[tuple[re.Match[str], str]] = []
        previous_end = 0
        for match in words:
            gap = typed[previous_end : match.start()]
            if piece and gap.strip():
                decode_piece()
            token = match.group()
            lowered = token.lower()
            plain = False
            if any(ch.isdigit() for ch in token):
                candidates = np.array([NUM], np.int64)
            elif has_diacritics(token):
                candidates = np.array([decoder.ids.get(lowered, UNK)], np.int64)
            elif lowered in decoder.candidates:
                candidates = decoder.candidates[lowered]
                plain = known_plain = True
            else:
                candidates = np.array([UNK], np.int64)
            piece.append((match, candidates, plain))
            previous_end = match.end()
        if piece:
            decode_piece()
        for match, restored in replacements:
            output.append(typed[cursor : match.start()])
            output.append(restored)
            cursor = match.end()
        output.append(typed[cursor:])
        return "".join(output), known_plain

    def _get_decoder(self) -> _Decoder:
        if self._decoder is None:
            self._flush()
            self._decoder = _Decoder(self)
        return self._decoder


def _case_is_informative(tokens: list[str]) -> bool:
    """Does the user capitalise names? Only then is a lowercase word a clue.

    A query typed all in lowercase (or in capitals) says nothing about which
    words are names; one with a capital after its first word does.
    """
    return any(_case_class(t) == _CAPITAL for t in tokens[1:]) and any(t.islower() for t in tokens)


class _TokenCodes(dict):
    """Raw token → ``word id << 2 | case class``, computed once per distinct token."""

    def __init__(self, model: AccentModel) -> None:
        super().__init__()
        self._model = model

    def __missing__(self, token: str) -> int:
        if not token[0].isalnum():
            code = SEP << 2
        elif not token.isalpha():
            code = NUM << 2
        else:
            # The same steps normalize_text takes on a word: lookalike letters,
            # tone placement (hoà → hòa).
            word = normalize_text(token).lower()
            code = self._model._word_id(word) << 2 | _case_class(token)
        self[token] = code
        return code


def _grow(counts: np.ndarray, size: int) -> np.ndarray:
    if len(counts) >= size:
        return counts
    grown = np.zeros((size, *counts.shape[1:]), counts.dtype)
    grown[: len(counts)] = counts
    return grown


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
