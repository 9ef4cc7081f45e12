"""The accent model: what the rest of vn-search calls to train, keep and use it.

:class:`AccentModel` gathers the pieces of this package behind four kinds of
call: training (``add_text``, ``merge`` for worker processes), storage
(``save``/``load``), restoring (``restore``/``suggest``) and the few facts
other features read from its counts (``frequent_words``, ``capital_share``).
"""

from __future__ import annotations

from array import array
from os import PathLike

import numpy as np

from vn_search.accents.counts import MAX_WORDS, CountTable, pack, unpack
from vn_search.accents.decoder import Decoder, case_is_informative, sentence_pieces
from vn_search.accents.model_file import StoredCounts, read_model, write_model
from vn_search.accents.tokens import (
    CAPITAL,
    LOWER,
    RESERVED,
    SEP,
    TRAIN_TOKEN,
    UNK,
    WORD,
    TokenCodes,
    apply_case,
    folded_word,
)
from vn_search.analysis.normalize import normalize_query, normalize_text

__all__ = ["AccentModel"]


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
        self._words: list[str] = list(RESERVED)
        self._ids: dict[str, int] = {word: i for i, word in enumerate(RESERVED)}
        self._token_codes = TokenCodes(self._word_id)
        self._pending = array("q")  # token codes not yet counted
        self._unigrams = np.zeros(len(RESERVED), np.int64)
        self._cased = np.zeros((len(RESERVED), 2), np.int64)  # inner lower, inner Capital
        self._bigrams = CountTable()
        self._trigrams = CountTable()
        self._decoder: Decoder | None = None

    # ---- training

    def add_text(self, text: str, normalized: bool = False) -> None:
        """Learn from one accented text: a title, a summary or a whole body
        (``normalized`` if it already went through ``normalize_text``)."""
        if not normalized:
            text = normalize_text(text)  # queries get the same, so hoà and hòa meet
        if not text:
            return
        self._pending.append(SEP)
        self._pending.extend(map(self._token_codes.__getitem__, TRAIN_TOKEN.findall(text)))
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
        reserved = len(RESERVED)
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
            if len(self._words) >= MAX_WORDS:
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
        for column in (LOWER, CAPITAL):
            self._cased[:, column] += np.bincount(ids[inner & (case == column)], minlength=size)
        self._bigrams.add_codes(pack(ids[:-1], ids[1:]))
        a, b, c = ids[:-2], ids[1:-1], ids[2:]
        inside = b != SEP
        self._trigrams.add_codes(pack(a[inside], b[inside], c[inside]))

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
            grams = zip(*(words[part] for part in unpack(table.keys, order)))
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
            *(CountTable(keys, counts.astype(np.int64))
              for keys, counts in (state["bigrams"], state["trigrams"])),
        )

    def _adopt(self, words: list[str], unigrams: np.ndarray, cased: np.ndarray,
               bigrams: CountTable, trigrams: CountTable) -> None:
        self._words = list(words)
        self._ids = {word: i for i, word in enumerate(self._words)}
        self._token_codes = TokenCodes(self._word_id)
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
        needed[: len(RESERVED)] = True
        for table, order in ((bigrams, 2), (trigrams, 3)):
            for part in unpack(table.keys, order):
                needed[part] = True
        kept = np.flatnonzero(needed)
        kept = np.r_[kept[: len(RESERVED)], sorted(kept[len(RESERVED) :], key=self._folded_order)]
        new_ids = np.full(len(self._words), UNK, np.int64)
        new_ids[kept] = np.arange(len(kept))
        stored = StoredCounts(
            [self._words[i] for i in kept], self._unigrams[kept], self._cased[kept],
            bigrams.renumbered(new_ids, 2), trigrams.renumbered(new_ids, 3),
        )
        write_model(path, stored)

    def _folded_order(self, word_id: int) -> tuple[str, str]:
        word = self._words[word_id]
        return folded_word(word), word

    @classmethod
    def load(cls, path: str | PathLike[str]) -> AccentModel:
        """Read a model written by :meth:`save`; it can be trained further.

        Raises ValueError naming the file when it is not such a model (or was
        truncated or altered), FileNotFoundError when there is no file.
        """
        stored = read_model(path)
        model = cls()
        model._adopt(*stored)
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
        slots = [decoder.slot(match) for match in WORD.finditer(typed)]
        use_case = case_is_informative([slot.match.group() for slot in slots])
        parts, cursor = [], 0
        for piece in sentence_pieces(typed, slots):
            if not any(slot.plain for slot in piece):
                continue  # nothing to choose: all accented, numbers or unknown
            clues = decoder.case_clues(piece, use_case)
            choices = decoder.best_path([slot.candidates for slot in piece], clues)
            for slot, choice in zip(piece, choices):
                if slot.plain:
                    word = decoder.words[slot.candidates[choice]]
                    parts += [typed[cursor : slot.match.start()], apply_case(slot.match.group(), word)]
                    cursor = slot.match.end()
        parts.append(typed[cursor:])
        return "".join(parts), any(slot.plain for slot in slots)

    def pair_share(self, first: str, second: str) -> float | None:
        """Of the times the articles put two syllables side by side, in any
        of their common accented forms, the share written as given
        (``triều tiền``: 2 of corpus C's ~2,500 *Triều Tiên*); None when
        the model never saw them side by side."""
        decoder = self._get_decoder()
        typed = [self._ids.get(word.lower()) for word in (first, second)]
        sides = []
        for word, word_id in zip((first, second), typed):
            found = decoder.candidates(folded_word(word.lower()))
            ids = [] if found is None else list(found)
            sides.append(np.unique(np.array(ids + ([word_id] if word_id is not None else []), np.int64)))
        if not len(sides[0]) or not len(sides[1]):
            return None
        total = int(self._bigrams.count_of(pack(sides[0][:, None], sides[1][None, :]).ravel()).sum())
        if not total:
            return None
        if None in typed:
            return 0.0
        return int(self._bigrams.count_of(pack(np.array([typed[0]]), np.array([typed[1]])))[0]) / total

    def prepare(self) -> None:
        """Build the decoder :meth:`restore` needs now rather than on its
        first call (a few hundred milliseconds for corpus C's model)."""
        self._get_decoder()

    def _get_decoder(self) -> Decoder:
        if self._decoder is None:
            self._flush()
            self._decoder = Decoder(
                self._words, self._ids, self._unigrams, self._cased, self._bigrams, self._trigrams
            )
        return self._decoder


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

