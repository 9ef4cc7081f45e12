"""Step 3 of analysis: fold away tones, hats and case for accent-insensitive
matching.

    >>> fold_text("Đường Trường Sơn, Hòa Bình")
    'duong truong son, hoa binh'

``đ`` becomes ``d`` (stripping combining marks alone would keep it), and
every Latin letter with a diacritic loses it. Other scripts (Chinese,
Cyrillic, emoji) pass through unchanged instead of being transliterated into
Latin junk, so a folded term never matches something it does not spell.
"""

from __future__ import annotations

import unicodedata

from unidecode import unidecode

__all__ = ["fold_text", "has_diacritics"]


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    latin_ranges = [(0x00C0, 0x024F), (0x1E00, 0x1EFF)]
    for start, end in latin_ranges:
        for code in range(start, end + 1):
            char = chr(code)
            if not char.isalpha():
                continue
            plain = unidecode(char)
            # Keep only clean one-letter foldings (ệ → e); ligatures and
            # letters unidecode cannot map are left as they are.
            if len(plain) == 1 and plain.isascii() and plain.isalpha():
                table[code] = plain.lower()
    for char in "ĐđÐ":
        table[ord(char)] = "d"
    return table


_FOLD_TABLE = _build_fold_table()


def fold_text(text: str) -> str:
    """Lowercase and strip Vietnamese (and other Latin) diacritics.

    Input should already be NFC (see ``normalize_text``); decomposed marks
    are dropped too, as a safety net.
    """
    folded = text.lower().translate(_FOLD_TABLE)
    if not folded.isascii() and any(unicodedata.combining(c) for c in folded):
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return folded


def has_diacritics(text: str) -> bool:
    """True when folding would change more than case (``cán``, ``Đà``)."""
    return fold_text(text) != text.lower()
