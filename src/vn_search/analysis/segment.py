"""Step 2 of analysis: split normalised text into words, with pyvi.

    >>> [w.text for w in segment("Cộng hòa Xã hội chủ nghĩa Việt Nam")]
    ['Cộng hòa', 'Xã hội', 'chủ nghĩa', 'Việt Nam']

Each :class:`Word` keeps its syllables and its character offsets into the
text it came from, so hits can be highlighted in the original.

pyvi is used with care, because of quirks measured on real news:
- it glues tokens across ``\\n``, so text is segmented line by line;
- it splits URLs, e-mails, dates and decimal numbers (``1 / 4 / 1975``), so
  those are cut out first and kept whole;
- it segments ALL-CAPS text differently (``THỦ ĐÔ`` stays two words), so runs
  of capitalised syllables are shown to it in lower case;
- it is case-sensitive for proper nouns, so we segment *before* lowercasing.
"""

from __future__ import annotations

import re
import warnings
from typing import NamedTuple

__all__ = ["Word", "segment", "segment_terms", "split_protected", "PROTECTED_PATTERN"]


class Word(NamedTuple):
    """A segmented word: ``text`` is ``source[start:end]``.

    ``syllables`` are the word's syllables as written (``("Cán", "bộ")``);
    ``protected`` marks a URL, e-mail, number or date kept whole; ``breaks``
    is True when punctuation or a line break separates it from the word
    before, so the two are never treated as one phrase. (A NamedTuple:
    a long article makes thousands of these.)
    """

    text: str
    start: int
    end: int
    syllables: tuple[str, ...]
    protected: bool = False
    breaks: bool = False


_URL = r"(?:https?|ftp)://[^\s<>\"“”]+|www\.[^\s<>\"“”]+\.[a-z]{2,}[^\s<>\"“”]*"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# 1/4/1975, 147,8, 1.000.000, 65,87%, 08:41, 2013-10-23 (ISO dates only:
# "2020 - 2025" and "COVID-19" are ranges and names, not one number).
_NUMBER = r"\d+(?:[.,/:]\d+)+%?|\d{4}-\d{1,2}-\d{1,2}|\d+%"
PROTECTED_PATTERN = re.compile(rf"(?:{_URL})|(?:{_EMAIL})|(?<![\w.,/:])(?:{_NUMBER})(?![\w/])")
_URL_TAIL = ".,;:!?)]}'»”’"

_SYLLABLE = re.compile(r"\w+")
_CAPS_RUN = re.compile(r"[^\W\d_]+(?:[^\S\n]+[^\W\d_]+)+")


def split_protected(line: str) -> list[tuple[int, int, bool]]:
    """Cut a line into (start, end, protected) spans covering all of it."""
    spans: list[tuple[int, int, bool]] = []
    pos = 0
    for match in PROTECTED_PATTERN.finditer(line):
        start, end = match.span()
        # A sentence-final dot or closing bracket is not part of a URL.
        while end > start and line[end - 1] in _URL_TAIL and not line[start:end].endswith("%"):
            end -= 1
        if start > pos:
            spans.append((pos, start, False))
        spans.append((start, end, True))
        pos = end
    if pos < len(line):
        spans.append((pos, len(line), False))
    return spans


def _caps_as_ordinary(chunk: str) -> str:
    """Lowercase runs of 2+ ALL-CAPS words so pyvi merges them as usual."""

    def lower_run(match: re.Match[str]) -> str:
        run = match.group(0)
        if not run.isupper():
            return run
        lowered = run.lower()
        return lowered if len(lowered) == len(run) else run

    return _CAPS_RUN.sub(lower_run, chunk)


def _load_tokenizer():
    try:
        from vn_search.analysis.pyvi_fast import tokenize_words

        return tokenize_words
    except ImportError:  # pragma: no cover - the fast path ships with us
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pyvi import ViTokenizer

        return lambda text: ViTokenizer.tokenize(text).split()


_tokenize_words = None


def _chunk_tokens(chunk: str) -> list[str]:
    """pyvi's tokens for a chunk of one line (its own LRU caches lines)."""
    global _tokenize_words
    if _tokenize_words is None:
        _tokenize_words = _load_tokenizer()
    return _tokenize_words(_caps_as_ordinary(chunk))


def segment_terms(text: str) -> list[tuple[str, ...] | None]:
    """The fast path for indexing: each word as a tuple of lowercase
    syllables, and None wherever a line break or punctuation ends a phrase.

        >>> segment_terms("Cán bộ, xã")
        [None, ('cán', 'bộ'), None, ('xã',)]

    Same words as :func:`segment`, without offsets or objects.
    """
    out: list[tuple[str, ...] | None] = []
    append = out.append
    for line in text.split("\n"):
        if not line or line.isspace():
            continue
        append(None)
        for start, end, protected in split_protected(line):
            if protected:
                append((line[start:end].lower(),))
                continue
            for token in _chunk_tokens(line[start:end]):
                if not token[0].isalnum():
                    append(None)
                    continue
                lowered = token.lower()
                if "." in lowered:  # abbreviations: "tp." is the syllable "tp"
                    append(tuple(p.rstrip(".") or p for p in lowered.split("_")))
                else:
                    append(tuple(lowered.split("_")))
    return out


def _segment_chunk(chunk: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    """pyvi words of a chunk, as the (start, end) spans of their syllables.

    A word made of punctuation comes back as an empty tuple: it is not
    indexed, but it ends a phrase.
    """
    shown = _caps_as_ordinary(chunk)  # same length as chunk, by construction
    words = []
    cursor = 0
    for token in _chunk_tokens(chunk):
        spans = []
        for piece in token.split("_"):
            # pyvi keeps the dot of abbreviations ("TP.", "Mr."); a query
            # never has it, so the syllable is the letters alone.
            if len(piece) > 1 and piece.endswith("."):
                piece = piece.rstrip(".") or piece
            found = shown.find(piece, cursor) if piece else -1
            if found < 0:  # pyvi changed the text (should not happen after NFC)
                continue
            spans.append((found, found + len(piece)))
            cursor = found + len(piece)
        if spans:
            is_word = _SYLLABLE.search(shown, spans[0][0], spans[0][1]) is not None
            words.append(tuple(spans) if is_word else ())
    return tuple(words)


def _segment_line(line: str, offset: int, words: list[Word]) -> None:
    pending_break = True  # a new line always breaks a phrase
    for start, end, protected in split_protected(line):
        if protected:
            text = line[start:end]
            words.append(Word(text, offset + start, offset + end, (text,), True, pending_break))
            pending_break = False
            continue
        chunk = line[start:end]
        if not chunk.strip():
            continue
        base = offset + start
        for spans in _segment_chunk(chunk):
            if not spans:
                pending_break = True
                continue
            w_start, w_end = spans[0][0], spans[-1][1]
            syllables = tuple(chunk[a:b] for a, b in spans)
            words.append(
                Word(chunk[w_start:w_end], base + w_start, base + w_end,
                     syllables, False, pending_break)
            )
            pending_break = False


def segment(text: str) -> list[Word]:
    """Segment normalised text into words, line by line (see module doc)."""
    words: list[Word] = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            _segment_line(line, offset, words)
        offset += len(line) + 1
    return words
