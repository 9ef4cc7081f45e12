"""How hits are shown: snippets and headlines with the matched words
marked, always in the document's own spelling.

A reader who typed ``luan chuyen`` sees ``<mark>luân chuyển</mark>``:
matching is on folded syllables, display is the original text. What is
marked is what put the document in the result set (``matching.py``): the
query's words as words (``ha noi`` marks "Hà Nội", never "nói" or "nội
dung") and, where a word was typed with diacritics, only that spelling.
Text is HTML-escaped before any mark is added, so nothing in a document or
a query can inject markup.

    >>> mark_text("Luân chuyển cán bộ", {"can", "bo"})
    'Luân chuyển <mark>cán</mark> <mark>bộ</mark>'
    >>> mark_text("Hà Nội nói về nội dung", Marks.of([("ha noi", None)]))
    '<mark>Hà Nội</mark> nói về nội dung'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Iterable

import numpy as np

from vn_search.analysis.fold import fold_text
from vn_search.analysis.terms import fold_term

__all__ = ["Marks", "highlight_words", "mark_text", "make_snippet"]

_SYLLABLE = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")
_BETWEEN_SYLLABLES = re.compile(r"[\s\-]+")
Match = tuple[int, int, str]  # start, end, folded word


@dataclass(frozen=True)
class Marks:
    """The words to mark: folded words (syllables joined by a space), each
    with the exact spelling of each syllable it must have (None: any)."""

    words: frozenset[tuple[str, tuple[str | None, ...] | None]]

    @classmethod
    def of(cls, words: Iterable[tuple[str, tuple[str | None, ...] | None]]) -> Marks:
        return cls(frozenset(words))

    @property
    def folded(self) -> frozenset[str]:
        return frozenset(word for word, _ in self.words)

    def allows(self, folded: str, original: str) -> bool:
        """Whether ``original`` (a matched span) is spelled as asked."""
        syllables = None
        for word, exact in self.words:
            if word != folded:
                continue
            if exact is None:
                return True
            if syllables is None:
                syllables = _BETWEEN_SYLLABLES.split(original.lower())
            if len(syllables) == len(exact) and all(e is None or e == s for e, s in zip(exact, syllables)):
                return True
        return False


def highlight_words(words, parsed, common: tuple[bool, ...] = ()) -> Marks:
    """What to mark for a query (``matching.QueryWord`` list, the parsed
    query, and which words are too common to decide membership): every
    reading of the words that decide, and of the common ones those that
    are words of several syllables (``hôm nay``: one-syllable ones like
    ``của`` would be marked all over a snippet); quoted phrases, folded."""
    entries = []
    only_common = all(common)
    for number, word in enumerate(words):
        for unit in word.units:
            if number < len(common) and common[number] and not only_common and len(unit) < 2:
                continue
            exact = tuple(syllable if is_exact else None for syllable, is_exact in unit)
            folded = " ".join(fold_term(syllable) for syllable, _ in unit)
            entries.append((folded, exact if any(exact) else None))
    for phrase in parsed.phrases:
        entries.append((" ".join(fold_term(syllable) for syllable in phrase), None))
    return Marks.of(entries)


def _as_marks(terms: set[str] | Marks) -> Marks:
    """Plain folded syllables (``{"can", "bo"}``) as marks of any spelling."""
    return terms if isinstance(terms, Marks) else Marks.of((term, None) for term in terms)

# Folding, one code point at a time, for the scripts and punctuation a news
# page uses (Latin, Vietnamese, Greek, Cyrillic, quotes, dashes, "…", all
# below U+2070): the folded code
# point, or _NO_FOLD where a character cannot be folded in place (a combining
# mark folds to nothing; "Σ" lowercases to "σ" or "ς" depending on its
# neighbours).
_TABLE_SIZE = 0x2070
_NO_FOLD = 0xFFFFFFFF


@lru_cache(maxsize=1)
def _fold_table() -> np.ndarray:
    table = np.empty(_TABLE_SIZE, np.uint32)
    for code in range(_TABLE_SIZE):
        folded = fold_text(chr(code).lower()) if chr(code) != "Σ" else ""
        table[code] = ord(folded) if len(folded) == 1 else _NO_FOLD
    return table


@lru_cache(maxsize=4096)
def _folds_to_itself(char: str) -> bool:
    return fold_text(char.lower()) == char


def _fold_in_place(text: str) -> str | None:
    """``text`` folded character by character, so that every offset still
    points at the same character; None when some character cannot be.

    Folding is a per-character map for every other character (lowercase,
    then drop the tone and hat), and it never turns a word character into a
    non-word one or back, so the ``\\w+`` runs of the folded text are the
    runs of the original, each spelled as ``fold_term`` spells it. Done on
    an array of code points, it costs a few microseconds per article.
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    if codes.max() < _TABLE_SIZE:
        folded = _fold_table()[codes]
    else:
        # Rarer characters (€, emoji, CJK): kept as they are, or no fast path.
        high = codes >= _TABLE_SIZE
        if not all(_folds_to_itself(chr(code)) for code in np.unique(codes[high]).tolist()):
            return None
        folded = np.where(high, codes, _fold_table()[np.where(high, 0, codes)])
    if folded.max() == _NO_FOLD:
        return None
    return folded.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")


@lru_cache(maxsize=1024)
def _term_pattern(terms: frozenset[str]) -> re.Pattern | None:
    """Whole-word occurrences of any of the folded ``terms`` (a term of
    several syllables: them separated by spaces or hyphens); None when no
    term could ever be a word (punctuation, empty)."""
    words = sorted((t for t in terms if all(_SYLLABLE.fullmatch(p) for p in t.split(" "))), key=len, reverse=True)
    if not words:
        return None
    # No look-behind for the word start: it would be tried at every
    # character; candidates that start inside a word are dropped instead.
    alternatives = (r"[\s\-]+".join(map(re.escape, word.split(" "))) for word in words)
    return re.compile("(?:" + "|".join(alternatives) + r")(?!\w)")


def _matches(text: str, terms: set[str] | Marks) -> list[Match]:
    """Every word of ``text`` whose folded form is one of ``terms``, in a
    spelling they allow.

    Searching the folded text with one regular expression costs a few C
    calls per document instead of a Python call per word, which was most of
    a search request's time (a hit's text is the whole article). Text that
    cannot be folded in place is folded a syllable at a time first.
    """
    marks = _as_marks(terms)
    if not marks.words or not text:
        return []
    folded = _fold_in_place(text)
    if folded is None:
        folded = _SYLLABLE.sub(lambda m: _same_length(fold_term(m.group(0).lower()), m.group(0)), text)
    pattern = _term_pattern(marks.folded)
    if pattern is None:
        return []
    found = []
    for m in pattern.finditer(folded):
        if m.start() and _WORD_CHAR.match(folded, m.start() - 1):
            continue
        word = _BETWEEN_SYLLABLES.sub(" ", m.group(0))
        if marks.allows(word, text[m.start():m.end()]):
            found.append((m.start(), m.end(), word))
    return found


def _same_length(folded: str, original: str) -> str:
    """A folded syllable padded or cut to the original's length, so that
    offsets in the folded text still point into the original (a
    combining mark folds to nothing); a syllable whose length changed
    becomes unmatchable filler."""
    return folded if len(folded) == len(original) else "\x00" * len(original)


def _render(text: str, spans: list[Match]) -> str:
    parts = []
    cursor = 0
    for start, end, _ in spans:
        parts.append(escape(text[cursor:start], quote=False))
        parts.append(f"<mark>{escape(text[start:end], quote=False)}</mark>")
        cursor = end
    parts.append(escape(text[cursor:], quote=False))
    return "".join(parts)


def _best_window_start(matches: list[Match], max_chars: int) -> int:
    """Start of the first match whose window of ``max_chars`` holds the most
    distinct matched words (then the most matches).

    Matches are ordered and do not overlap, so each window is a run of
    consecutive matches and slides forward: one pass, not one per match.
    """
    best_start, best_score = 0, -1
    counts: dict[str, int] = {}
    end = 0  # the window of match i is matches[i:end]
    for i, (start, _, word) in enumerate(matches):
        end = max(end, i)
        while end < len(matches) and matches[end][1] <= start + max_chars:
            counts[matches[end][2]] = counts.get(matches[end][2], 0) + 1
            end += 1
        score = len(counts) * 100 + (end - i)
        if score > best_score:
            best_start, best_score = start, score
        if end > i:  # match i leaves the window
            counts[word] -= 1
            if not counts[word]:
                del counts[word]
    return best_start


def mark_text(text: str, terms: set[str] | Marks) -> str:
    """The whole text, escaped, with every matched syllable marked."""
    return _render(text, _matches(text, terms))


def make_snippet(text: str, terms: set[str] | Marks, max_chars: int = 240) -> str:
    """The window of ``text`` (about max_chars long) that holds the most
    distinct matched words, escaped and marked, with … where it was cut."""
    text = " ".join(text.split())
    if not text:
        return ""
    matches = _matches(text, terms)
    if len(text) <= max_chars:
        return _render(text, matches)
    # Start a little before the first match, at a word boundary.
    start = max(0, _best_window_start(matches, max_chars) - max_chars // 5) if matches else 0
    if start > 0:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    window = text[start:end]
    shown = [(a - start, b - start, f) for a, b, f in matches if a >= start and b <= end]
    return ("… " if start > 0 else "") + _render(window, shown) + (" …" if end < len(text) else "")
