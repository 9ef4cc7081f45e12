"""Every spelling of an abbreviation as one key: ``TP.HCM`` = ``tp hcm`` = ``tphcm``.

Articles write ``TP.HCM``, ``TP HCM`` or ``Tp.HCM``; readers type ``tphcm`` or
``tp hcm``. Before anything can be looked up, each spelling must become the
same key, and a lowercase word that could be a Vietnamese syllable (``ca``)
must not be mistaken for an abbreviation (``CA``). The table
(``abbreviations.py``), the definitions mined from articles
(``abbreviation_mining.py``) and ``tools/count_abbreviations.py`` all
compare text through these functions.

    >>> abbreviation_key("TP. HCM"), abbreviation_key("gd&dt"), abbreviation_key("Hà Nội")
    ('tphcm', 'gddt', None)
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vn_search.analysis.fold import fold_text

__all__ = ["ABBREVIATION_TOKEN", "abbreviation_key", "cached_abbreviation_key", "folded_words", "looks_like_syllable"]

# Latin capitals, Vietnamese ones included: Đ and the vowels with hats and
# horns occur in abbreviations (BĐS, UBKTTƯ); toned ones (À, Ộ) never do,
# but all-caps headlines ("HÀ NỘI") must match too, to be recognised.
_UPPER = "A-Z" + "".join(
    char
    for char in map(chr, range(0xC0, 0x1EFF))
    if char.isupper() and len(fold_text(char)) == 1 and "a" <= fold_text(char) <= "z"
)

#: An abbreviation-like token in running text: capitals, optionally with
#: digits and ``.``, ``&``, ``-`` inside (``TP.HCM``, ``GD&ĐT``, ``U.23``,
#: ``VN-Index``, ``Tp.HCM``). Its letters are counted by the callers (2 to 8,
#: or one letter with digits: ``U23``).
ABBREVIATION_TOKEN = re.compile(
    rf"(?<![\w.&-])"
    rf"(?:[{_UPPER}][a-z]\.(?=[{_UPPER}]))?"  # "Tp." glued to the rest: Tp.HCM
    rf"[{_UPPER}][{_UPPER}0-9]*"
    rf"(?:[.&-][{_UPPER}0-9]+)*"
    rf"(?:-[{_UPPER}][a-z]+)?"  # VN-Index, HNX-Index
    rf"(?![\w&-])"
)

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_SEPARATORS = re.compile(r"[\s.&\-]+")

# A folded word that could be one Vietnamese syllable. Typed in lowercase,
# such a word is a word (``ca`` may be "cá", "cà"), not the abbreviation CA.
# Spelling rules cut false alarms: ``c`` is never written before e/i/y, so
# ``ceo`` and ``cia`` are not syllables.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:a|e|i|o|u|y|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye"
    r"|oai|oay|oeo|uay|uoi|uou|uya|uye|ieu|yeu)"
    r"(?:ch|ng|nh|c|m|n|p|t)?"
)


def looks_like_syllable(word: str) -> bool:
    """True when ``word`` (any case, accents or not) could be one Vietnamese
    syllable, by the spelling rules.

    >>> [looks_like_syllable(w) for w in ["Nội", "nghiêng", "tp", "ubnd", "ceo"]]
    [True, True, False, False, False]
    """
    folded = fold_text(word)
    if not _SYLLABLE.fullmatch(folded):
        return False
    return not (folded[0] == "c" and folded[1:2] in ("e", "i", "y"))


def abbreviation_key(text: str) -> str | None:
    """The one key of an abbreviation however it is typed; None for text
    that is not shaped like an abbreviation.

    Separators (``.``, ``&``, ``-``, spaces) go, letters are folded (``đ`` is
    ``d``), so ``TP.HCM``, ``TP. HCM``, ``TPHCM``, ``tp hcm`` and ``Tp.HCM``
    meet. Lowercase words that could be Vietnamese syllables, and anything
    with a tone mark, are words rather than abbreviations.

    >>> [abbreviation_key(t) for t in ["TP.HCM", "tp hcm", "U-23", "GD&ĐT", "gd dt"]]
    ['tphcm', 'tphcm', 'u23', 'gddt', 'gddt']
    >>> [abbreviation_key(t) for t in ["CA", "ca", "cảnh sát", "2017", "A"]]
    ['ca', None, None, None, None]
    """
    text = unicodedata.normalize("NFC", text).strip()
    if not text or len(text) > 24:
        return None
    if any(char in _TONE_MARKS for char in unicodedata.normalize("NFD", text)):
        return None
    parts = [part for part in _SEPARATORS.split(text) if part]
    if not parts or len(parts) > 4 or not parts[0][0].isalpha():
        return None
    for part in parts:
        if not part.isalnum():
            return None
        if part.isdigit() or part.isupper() or any(char.isdigit() for char in part):
            continue
        if looks_like_syllable(part):
            return None
    key = fold_text("".join(parts))
    letters = sum(char.isalpha() for char in key)
    if not key.isascii() or len(key) > 12 or letters == 0:
        return None
    if letters == 1 and key.isalpha():
        return None  # one letter alone is an initial, not an abbreviation
    return key

@lru_cache(maxsize=65536)
def cached_abbreviation_key(text: str) -> str | None:
    """:func:`abbreviation_key`, remembered: a query's words are keyed
    once per span length tried, and the same words recur across queries."""
    return abbreviation_key(text)


_WORD = re.compile(r"\w+")


def folded_words(text: str) -> str:
    """Accent-, case- and punctuation-free form used to compare full forms:
    ``"Văn hóa, Thể thao và Du lịch"`` → ``"van hoa the thao va du lich"``."""
    return " ".join(_WORD.findall(fold_text(unicodedata.normalize("NFC", text))))
