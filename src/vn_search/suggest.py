""""Có phải bạn muốn tìm …": the query the user probably meant.

Two repairs, both learned from the index itself:

- **accents**: a query typed without diacritics (``luan chuyen can bo``)
  is restored by the corpus's accent model (``restore.py``);
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

from vn_search.analysis.normalize import normalize_query
from vn_search.analysis.terms import JOINER, fold_term

__all__ = ["Suggester", "MIN_TYPO_LETTERS"]

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


def _edits(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion
    away (Damerau distance 1), over folded letters."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return (deletes | transposes | replaces | inserts) - {word}


class Suggester:
    """Suggestions from one index generation's vocabulary and accent model."""

    def __init__(self, reader, accent_model=None) -> None:
        self.reader = reader
        self.accent_model = accent_model

    def known(self, term: str) -> bool:
        return any((name, term) in self.reader for name in _LOOKUP_FIELDS)

    def _best_edit(self, term: str, joined: bool) -> str | None:
        best, best_count = None, 0
        for candidate in _edits(term):
            if joined != (JOINER in candidate) or candidate.count(JOINER) > 1:
                continue
            if candidate.startswith(JOINER) or candidate.endswith(JOINER):
                continue
            # One field is enough to rank candidates, and keeps this cheap.
            count = self.reader.doc_frequency("body_f", candidate) or self.reader.doc_frequency("title_f", candidate)
            if count > best_count:
                best, best_count = candidate, count
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
            if len(folded) >= MIN_TYPO_LETTERS and not self.known(folded):
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
                    and not self.known(pair)
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
        """The corrected and/or accented query, or None if nothing to offer."""
        typed = normalize_query(query)
        if not _WORD.search(typed) or len(_WORD.findall(typed)) > MAX_SUGGEST_WORDS:
            return None
        corrected = self.correct_typos(typed)
        restored = corrected
        if self.accent_model is not None:
            restored = self.accent_model.restore(corrected)
        if fold_term(restored.lower()) == fold_term(typed.lower()) and restored.lower() == typed.lower():
            return None
        return restored if restored != typed else None
