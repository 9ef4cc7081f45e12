""""Có phải bạn muốn tìm …": the query the user probably meant.

Two repairs, both learned from the index itself:

- **accents**: a query typed without diacritics (``luan chuyen can bo``)
  is restored by the corpus's accent model (``accents/``);
- **typos**: a word of five or more letters that the index has never seen
  (``Campuchiaa``; ``bieu tihn`` as the word ``bieu_tihn``) is replaced by
  the most frequent indexed word one edit away. Shorter syllables are never
  touched: Vietnamese is full of minimal pairs (``chó``/``chò``), and a
  syllable the index knows is never "corrected".

    >>> Suggester(reader, accent_model).suggest("Campuchiaa bieu tihn")   # doctest: +SKIP
    'Campuchia biểu tình'
"""

from __future__ import annotations

import re
import string
from typing import Protocol, runtime_checkable

from vn_search.analysis.normalize import normalize_query
from vn_search.analysis.terms import JOINER, fold_term
from vn_search.matching import documents_needed

__all__ = ["Suggester", "TermStatistics", "MIN_TYPO_LETTERS", "correction_threshold", "keep_excluded"]

MIN_TYPO_LETTERS = 5
# Bounds that keep a pasted paragraph or a line of junk cheap: edits are
# tried only for words of a plausible length, and for the first few
# unknown words of a query.
MAX_TYPO_LETTERS = 20
MAX_CORRECTIONS = 3
MAX_SUGGEST_WORDS = 24
_LOOKUP_FIELDS = ("title_f", "summary_f", "body_f")
_WORD = re.compile(r"[^\W\d_]+")
_LETTERS = string.ascii_lowercase


def _keep_case(typed: str, fixed: str) -> str:
    """Give a correction the capital the user typed (``Campuchiaa``)."""
    if typed.isupper() and len(typed) > 1:
        return fixed.upper()
    if typed[:1].isupper():
        return fixed[:1].upper() + fixed[1:]
    return fixed


# QWERTY rows, as Vietnamese readers type (Telex and VNI use the same
# keyboard): a key's neighbours are the likeliest slips (n/m, not p/g).
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_AT = {key: (row, column + 0.5 * row) for row, keys in enumerate(_ROWS) for column, key in enumerate(keys)}
# The channel of a noisy-channel corrector: how likely each slip is,
# relative to typing the word right (1.0).
_NEIGHBOUR_SLIP = 0.02  # a key next to the right one
_OTHER_SLIP = 0.0005  # any other wrong key
_DROPPED = 0.01  # a letter left out
_DOUBLED = 0.02  # a letter typed twice (Campuchiaa)
_EXTRA = 0.002  # another letter slipped in
_SWAPPED = 0.01  # two letters the wrong way round
# A correction must be a word the articles use this often, so that no
# one-off misspelling of the corpus (cvid) is ever proposed; a small index
# asks less (``correction_threshold``).
MIN_CORRECTION_DOCUMENTS = 10


def correction_threshold(documents: int) -> int:
    """How many documents make a word known enough to correct towards (and
    a word seen in fewer worth correcting), in an index of ``documents``."""
    return documents_needed(MIN_CORRECTION_DOCUMENTS, documents, 5000)
# After a capitalised word it forms a pyvi word with, a word capitalised
# this often in the articles is the rest of a name (Quảng Ninh; ninh alone
# is mostly "an ninh").
NAME_CAPITAL_SHARE = 0.2


def _neighbours(first: str, second: str) -> bool:
    a, b = _KEY_AT.get(first), _KEY_AT.get(second)
    return a is not None and b is not None and abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1.0


def _edits(word: str) -> dict[str, float]:
    """Every string one slip away from ``word`` (over folded letters), with
    how likely that slip is: the candidates of the noisy channel."""
    found: dict[str, float] = {}

    def add(candidate: str, chance: float) -> None:
        if candidate != word and chance > found.get(candidate, 0.0):
            found[candidate] = chance

    for i in range(len(word) + 1):
        before, after = word[:i], word[i:]
        if after:
            # The reader typed after[0] where nothing belonged.
            doubled = (i > 0 and word[i - 1] == after[0]) or after[1:2] == after[0]
            add(before + after[1:], _DOUBLED if doubled else _EXTRA)
            for letter in _LETTERS:
                if letter != after[0]:
                    add(before + letter + after[1:], _NEIGHBOUR_SLIP if _neighbours(letter, after[0]) else _OTHER_SLIP)
        if len(after) > 1:
            add(before + after[1] + after[0] + after[2:], _SWAPPED)
        for letter in _LETTERS:  # a letter the reader left out
            add(before + letter + after, _DROPPED)
    return found


@runtime_checkable
class TermStatistics(Protocol):
    """What suggestions ask of an index, whichever backend holds it: the
    embedded index's ``storage.reader.IndexReader``, or the cluster's
    counts (``backends/opensearch_engine.py``)."""

    def doc_count(self) -> int: ...

    def doc_frequency(self, fieldname: str, text: str) -> int: ...

    def __contains__(self, term: tuple[str, str]) -> bool: ...


class Suggester:
    """Suggestions from one index generation's vocabulary and accent model."""

    def __init__(self, reader: TermStatistics, accent_model=None) -> None:
        self.reader = reader
        self.accent_model = accent_model
        self.min_documents = correction_threshold(reader.doc_count())

    def known(self, term: str) -> bool:
        return any((name, term) in self.reader for name in _LOOKUP_FIELDS)

    def frequency(self, term: str) -> int:
        """Documents holding a folded term (one field is enough to rank)."""
        return self.reader.doc_frequency("body_f", term) or self.reader.doc_frequency("title_f", term)

    def _best_edit(self, term: str, joined: bool) -> str | None:
        """The likeliest intended word for ``term`` (folded): a noisy
        channel, corpus frequency times the chance of the slip, against
        ``term`` itself typed right. None when ``term`` wins or no
        candidate is a word the articles use."""
        best, best_score = None, float(self.frequency(term))
        for candidate, chance in _edits(term).items():
            if joined != (JOINER in candidate) or candidate.count(JOINER) > 1:
                continue
            if candidate.startswith(JOINER) or candidate.endswith(JOINER):
                continue
            count = self.frequency(candidate)
            if count < self.min_documents:
                continue
            if count * chance > best_score:
                best, best_score = candidate, count * chance
        return best

    def correct_typos(self, query: str) -> str:
        """The query with unknown long words replaced by known neighbours."""
        words = list(_WORD.finditer(query))
        replacements: dict[int, tuple[int, str]] = {}  # start -> (end, text)
        attempts = 0
        i = 0
        while i < len(words) and attempts < MAX_CORRECTIONS:
            word = words[i]
            folded = fold_term(word.group(0).lower())
            if len(folded) > MAX_TYPO_LETTERS:
                i += 1
                continue
            if len(folded) >= MIN_TYPO_LETTERS and self.frequency(folded) < self.min_documents:
                attempts += 1
                fixed = self._best_edit(folded, joined=False)
                if fixed:
                    replacements[word.start()] = (word.end(), _keep_case(word.group(0), fixed))
                i += 1
                continue
            if i + 1 < len(words) and query[word.end() : words[i + 1].start()].strip() == "":
                following = words[i + 1]
                pair = folded + JOINER + fold_term(following.group(0).lower())
                letters = len(pair) - 1
                if (
                    MIN_TYPO_LETTERS <= letters <= MAX_TYPO_LETTERS
                    and self.frequency(pair) < self.min_documents
                    and not self._all_known_pair(pair)
                ):
                    attempts += 1
                    fixed = self._best_edit(pair, joined=True)
                    if fixed:
                        first, second = fixed.split(JOINER)
                        text = f"{_keep_case(word.group(0), first)} {_keep_case(following.group(0), second)}"
                        replacements[word.start()] = (following.end(), text)
                        i += 2
                        continue
            i += 1
        if not replacements:
            return query
        out, cursor = [], 0
        for start in sorted(replacements):
            end, text = replacements[start]
            out.append(query[cursor:start])
            out.append(text)
            cursor = end
        out.append(query[cursor:])
        return "".join(out)

    def _all_known_pair(self, pair: str) -> bool:
        """Two known syllables that merely never stand together are not a
        typo: only a pair with an unknown syllable is worth correcting."""
        first, _, second = pair.partition(JOINER)
        return self.known(first) and self.known(second)

    def suggest(self, query: str) -> str | None:
        """The corrected and/or accented query, or None if nothing to offer.

        Excluded words (``-viet``, ``NOT viet``) keep what was typed: the
        operator stays on the reader's word. Proper nouns take the case the
        articles give them (``Viet nam`` → ``Việt Nam``)."""
        typed = normalize_query(query)
        if not _WORD.search(typed) or len(_WORD.findall(typed)) > MAX_SUGGEST_WORDS:
            return None
        corrected = self.correct_typos(typed)
        restored = corrected
        if self.accent_model is not None:
            corrected = self._unaccent_wrong_tones(corrected)
            restored = self._corpus_case(self.accent_model.restore(corrected), corrected)
        restored = keep_excluded(typed, restored)
        if restored.lower() == typed.lower():
            return None
        return restored

    def _exact_frequency(self, term: str) -> int:
        return self.reader.doc_frequency("body", term) + self.reader.doc_frequency("title", term)

    def _unaccent_wrong_tones(self, text: str) -> str:
        """Accented words the articles never write that way but do write
        with other accents (``Campuchía``), stripped of them so the accent
        model restores them in context. Words the articles do write, however
        rarely (``Truông Bồn``), and short syllables (``chò`` beside
        ``chó``) are left alone; so is a pair of real words that merely
        never stand together (``Nam thắng``: a check on pairs suggested
        ``Năm tháng`` for it, and 3% of correct queries were rewritten)."""
        words = list(_WORD.finditer(text))
        out, cursor = [], 0
        for match in words:
            typed = match.group(0)
            word, plain = typed.lower(), fold_term(typed.lower())
            if (word != plain and len(plain) >= MIN_TYPO_LETTERS and not self._exact_frequency(word)
                    and self.frequency(plain) >= self.min_documents):
                out += [text[cursor:match.start()], _keep_case(typed, plain)]
                cursor = match.end()
        return "".join(out) + text[cursor:]

    def _corpus_case(self, restored: str, typed: str) -> str:
        """Words typed in lowercase that the articles capitalise, capitalised:
        mostly capitalised ones (``trump``), and those often capitalised
        right after a capitalised word (``Quảng ninh`` → ``Quảng Ninh``)."""
        words, typed_words = list(_WORD.finditer(restored)), _WORD.findall(typed)
        if len(words) != len(typed_words):
            return restored
        out, cursor, previous = [], 0, ""
        for match, as_typed in zip(words, typed_words):
            word = match.group(0)
            if as_typed.islower():
                share = self.accent_model.capital_share(word.lower())
                in_name = (previous[:1].isupper() and share > NAME_CAPITAL_SHARE
                           and self.reader.doc_frequency("body", previous.lower() + JOINER + word.lower()) >= 3)
                if share > 0.5 or in_name:
                    word = word[:1].upper() + word[1:]
            previous = word
            out += [restored[cursor:match.start()], word]
            cursor = match.end()
        return "".join(out) + restored[cursor:]


_EXCLUDED = re.compile(r'(?:(?<=\s)|^)(?:-"[^"]*"?|-\S+|NOT\s+\S+)')


def keep_excluded(typed: str, suggested: str) -> str:
    """``suggested`` with every excluded part put back as typed, when the
    two line up (same length: restoring accents keeps it)."""
    if len(typed) != len(suggested):
        return suggested
    out, cursor = [], 0
    for match in _EXCLUDED.finditer(typed):
        out += [suggested[cursor:match.start()], match.group(0)]
        cursor = match.end()
    return "".join(out) + suggested[cursor:]
