"""How hits are shown: snippets and headlines with the matched words
marked, always in the document's own spelling.

A reader who typed ``luan chuyen`` sees ``<mark>luân</mark>
<mark>chuyển</mark>``: matching is on folded syllables, display is the
original text. Text is HTML-escaped before any mark is added, so nothing in
a document or a query can inject markup.

    >>> mark_text("Luân chuyển cán bộ", {"can", "bo"})
    'Luân chuyển <mark>cán</mark> <mark>bộ</mark>'
"""

from __future__ import annotations

import re
from html import escape

from vn_search.analysis.terms import fold_term

__all__ = ["mark_text", "make_snippet"]

_SYLLABLE = re.compile(r"\w+")


def _matches(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    return [
        (m.start(), m.end(), folded)
        for m in _SYLLABLE.finditer(text)
        if (folded := fold_term(m.group(0).lower())) in terms
    ]


def _render(text: str, spans: list[tuple[int, int, str]]) -> str:
    parts = []
    cursor = 0
    for start, end, _ in spans:
        parts.append(escape(text[cursor:start], quote=False))
        parts.append(f"<mark>{escape(text[start:end], quote=False)}</mark>")
        cursor = end
    parts.append(escape(text[cursor:], quote=False))
    return "".join(parts)


def mark_text(text: str, terms: set[str]) -> str:
    """The whole text, escaped, with every matched syllable marked."""
    return _render(text, _matches(text, terms))


def make_snippet(text: str, terms: set[str], max_chars: int = 240) -> str:
    """The window of ``text`` (about max_chars long) that holds the most
    distinct matched words, escaped and marked, with … where it was cut."""
    text = " ".join(text.split())
    if not text:
        return ""
    matches = _matches(text, terms)
    if len(text) <= max_chars:
        return _render(text, matches)
    best_start, best_score = 0, -1
    for i, (start, _, _) in enumerate(matches):
        window = [m for m in matches[i:] if m[1] <= start + max_chars]
        score = len({m[2] for m in window}) * 100 + len(window)
        if score > best_score:
            best_start, best_score = start, score
    # Start a little before the first match, at a word boundary.
    start = max(0, best_start - max_chars // 5) if matches else 0
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
