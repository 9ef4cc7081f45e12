"""Step 1 of analysis: make equal Vietnamese text equal in code points.

The same word reaches us in several encodings: NFD (a base letter plus
combining marks, as old Windows keyboards typed it), NFC, "new style" tone
placement (``hoà``, ``thuý``), tone marks typed after the wrong vowel
(``mơí``), invisible zero-width characters pasted from the web. Every piece
of text, indexed or queried, passes through :func:`normalize_text` first.

    >>> normalize_text("Ðảm baỏ chất lựơng phòng thí nghịêm hoá học")
    'Đảm bảo chất lượng phòng thí nghiệm hóa học'

Tone placement follows the traditional rule (``hòa``, ``thúy``, ``khỏe``,
``ủy``), the form most of our corpora use; the choice only has to be one.
Every change here keeps the length of a word, except NFC composition and
the removal of invisible characters, so offsets stay simple.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalize_text", "normalize_syllable", "normalize_query"]

# Combining tone marks in NFD: grave, acute, tilde, hook above, dot below.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
# Marks that are part of the letter, not the tone: circumflex, breve, horn.
_SHAPES = "\u0302\u0306\u031b"
_VOWELS = set("aeiouy")

# Invisible or control characters that only ever break matching.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)
# Horizontal whitespace other than the plain space (tab, NBSP, ...). The
# whitespace passes below are guarded by `in` checks: on long articles a
# regex that fails at every space costs more than the rest of this module.
_ODD_SPACE = re.compile("[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_MULTI_SPACE = re.compile(" {2,}")
_LINE_EDGES = re.compile(" *\n *")
_BLANK_LINES = re.compile("\n{3,}")

# A word needs a look only where old/new placement or a slipped tone mark
# can differ from the canonical form: a toned vowel ending the word right
# after another vowel (hoà, thuý, mơí, nhiêù, and the canonical giá, quý),
# or a toned vowel right before a hatted one (nghịêm, lựơng). Everything
# else (most of the text) is skipped without a Python call.
_TONED_VOWELS = "".join(
    unicodedata.normalize("NFC", base + tone)
    for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
    for tone in _TONES
)
_PLAIN_VOWELS = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
_HATTED_VOWELS = "ăâêôơưĂÂÊÔƠƯ"
_CANDIDATE = re.compile(
    rf"[{_PLAIN_VOWELS}{_TONED_VOWELS}][{_TONED_VOWELS}](?![^\W\d_])"
    rf"|[{_TONED_VOWELS}][{_HATTED_VOWELS}]"
)
_WORD_CHARS = re.compile(r"[^\W\d_]+")


def _letters(nfd_word: str) -> list[list[str]] | None:
    """Split an NFD word into [base, marks...] groups; None if not a word."""
    groups: list[list[str]] = []
    for char in nfd_word:
        if unicodedata.combining(char):
            if not groups:
                return None
            groups[-1].append(char)
        else:
            groups.append([char])
    return groups


def _nucleus(bases: list[str], shaped: list[bool], has_final: bool) -> int | None:
    """Index of the letter that carries the tone, by the traditional rule;
    None when the word is not one syllable (vowels apart: ``café``)."""
    vowels = [i for i, b in enumerate(bases) if b in _VOWELS]
    # "qu" and "gi" (before another vowel) are consonants: quý, già, giữ.
    if len(vowels) > 1 and bases[0] == "q" and vowels[0] == 1:
        vowels = vowels[1:]
    elif len(vowels) > 1 and bases[:2] == ["g", "i"] and vowels[0] == 1:
        vowels = vowels[1:]
    run = vowels  # the nucleus: one run of adjacent vowels (checked below)
    if run[-1] - run[0] != len(run) - 1:
        return None
    hatted = [i for i in run if shaped[i]]
    if hatted:
        return hatted[-1]  # người, được, rượu: the last shaped vowel
    if len(run) >= 3:
        return run[1]  # ngoài, khuỷu
    if len(run) == 2:
        return run[1] if has_final else run[0]  # hoàng / hòa, thúy
    return run[0]


@lru_cache(maxsize=65536)
def normalize_syllable(word: str) -> str:
    """Put the one tone mark of a Vietnamese syllable on its proper vowel.

    >>> [normalize_syllable(w) for w in ["hoà", "thuý", "mơí", "nhiêù", "quý", "gì"]]
    ['hòa', 'thúy', 'mới', 'nhiều', 'quý', 'gì']

    Words that are not one Vietnamese syllable (two tone marks, foreign
    letters, digits) come back unchanged.
    """
    groups = _letters(unicodedata.normalize("NFD", word))
    if not groups:
        return word
    tones = [(i, m) for i, g in enumerate(groups) for m in g[1:] if m in _TONES]
    if len(tones) != 1:
        return word
    tone = tones[0][1]
    bases: list[str] = []
    shaped: list[bool] = []
    for group in groups:
        base = group[0].lower()
        if base == "đ":
            base = "d"
        if not ("a" <= base <= "z"):
            return word
        if any(m not in _TONES and m not in _SHAPES for m in group[1:]):
            return word
        bases.append(base)
        shaped.append(any(m in _SHAPES for m in group[1:]))
    if not any(b in _VOWELS for b in bases):
        return word
    last_vowel = max(i for i, b in enumerate(bases) if b in _VOWELS)
    target = _nucleus(bases, shaped, has_final=last_vowel < len(bases) - 1)
    if target is None:
        return word
    for group in groups:
        if tone in group:
            group.remove(tone)
    groups[target].append(tone)
    # Canonical order: shape marks before the tone, as NFD would give.
    rebuilt = "".join(
        g[0] + "".join(sorted(g[1:], key=lambda m: m in _TONES)) for g in groups
    )
    return unicodedata.normalize("NFC", rebuilt)


def _fix_tones(text: str) -> str:
    """Re-place the tone of every word the candidate pattern points at."""
    pieces = []
    cursor = 0
    for match in _CANDIDATE.finditer(text):
        if match.start() < cursor:
            continue  # two candidates in one word: already handled
        start = match.start()
        while start > 0 and (text[start - 1].isalpha()):
            start -= 1
        end = _WORD_CHARS.match(text, match.start()).end()
        word = text[start:end]
        fixed = normalize_syllable(word)
        if fixed != word:
            pieces.append(text[cursor:start])
            pieces.append(fixed)
            cursor = end
    if not pieces:
        return text
    pieces.append(text[cursor:])
    return "".join(pieces)


def normalize_text(text: str) -> str:
    """NFC, one tone placement, no invisible characters, tidy whitespace.

    Line breaks are kept (segmentation works line by line) but runs of blank
    lines become one blank line and spaces around them are dropped.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    if "Ð" in text or "ð" in text:  # the Icelandic eth, typed for Đ
        text = text.replace("Ð", "Đ").replace("ð", "đ")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _fix_tones(text)
    if _ODD_SPACE.search(text):
        text = _ODD_SPACE.sub(" ", text)
    if "  " in text:
        text = _MULTI_SPACE.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGES.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def normalize_query(text: str) -> str:
    """A query is one line: normalised like a document, newlines as spaces."""
    return normalize_text(text).replace("\n", " ")
