"""Which strings are Vietnamese syllables, from the rules of the spelling.

A written syllable is an onset, a rhyme and a tone. The rhymes are listed
here as written (``oanh``, ``ương``, ``uyêt``), not built from phonemes: the
spelling is full of exceptions a phoneme grammar would have to patch (``y``
for ``i`` after the glide, ``gi`` swallowing the ``i`` of ``gìn``, ``k``
before front vowels), while the list of rhymes is short and well known.

    >>> [is_syllable(w) for w in ["Nguyễn", "hoà", "KHỎE", "càp", "news"]]
    [True, True, True, False, False]

:func:`generate` spells every syllable the rules allow, tones placed by
:func:`~vn_search.analysis.normalize.normalize_syllable` so the forms are the
project's own; ``tools/make_syllables.py`` writes them to
``vn_search/data/syllables.txt``, which :func:`is_syllable` reads.

The rules say which onset, rhyme and tone may meet, not which syllables the
lexicon happens to use: no rule keeps ``dẽm`` out while letting ``dém`` in,
so the list (about 13,600) is twice the ~6,700 syllables in use. Where usage
is fuzzy it leans towards accepting a rare real form (``xoong``, ``buýt``,
``quạu``, the older ``quí``) over rejecting it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from vn_search.analysis.normalize import normalize_syllable

__all__ = ["generate", "is_syllable", "SYLLABLES_PATH"]

SYLLABLES_PATH = Path(__file__).resolve().parent.parent / "data" / "syllables.txt"

ONSETS = (
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n",
    "ng", "ngh", "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x",
)  # fmt: skip

# Rhymes without a glide, by nucleus. The codas ch/nh follow only a, ê, i;
# c/ng follow no front vowel but the diphthong iê (and e in a few words:
# xẻng, kẻng, séc). ``oong``/``ooc`` are loans (boong, xoong, moóc, voọc).
_PLAIN_RHYMES = """
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu
    iêc iêm iên iêng iêp iêt iêu
    y yêm yên yêng yêt yêu
    o oc oi om on ong op ot oong ooc
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua uc ui um un ung up ut
    uôc uôi uôm uôn uông uôt
    ư ưa ưc ưi ưm ưng ưt ưu
    ươc ươi ươm ươn ương ươp ươt ươu
""".split()

# Rhymes opening with the labial glide, written o before a/ă/e and u before
# â/ê/ơ/y (hoa, hoặc, khỏe, tuấn, thuế, thuở, huy). After ``qu`` the glide
# is the u of the onset: qu + oa is written qua, qu + uyên quyên.
_GLIDE_RHYMES = """
    oa oac oach oai oam oan oang oanh oao oap oat oay
    oăc oăm oăn oăng oăt
    oe oen oeo oet
    uân uâng uât uây
    uê uêch uênh
    uơ
    uy uya uych uyn uynh uyp uyt uyu uyên uyêt
""".split()

# Spelled with qu only: quên, quết, quốc, quới, quặp, quạu, and the older
# qui/quí/quít for quy/quý/quýt.
_QU_ONLY_RHYMES = ("ên", "êt", "ôc", "ơi", "ăp", "au", "i", "it")

# Rhymes found after a handful of onsets only: letting them meet every onset
# would add hundreds of syllables nobody writes (*toao, *luyu, *đươu).
_RARE_RHYME_ONSETS = {
    "ưi": {"c", "ch", "g", "ng"},  # cửi, chửi, gửi, ngửi
    "ưm": {"", "h"},  # ừm, hừm
    "ươp": {"", "c", "m", "n"},  # ướp, cướp, mướp, nượp
    "ươu": {"b", "h", "kh", "n", "r"},  # bướu, hươu, khướu, nướu, rượu
    "uôm": {"b", "c", "l", "nh", "r", "th"},  # buồm, cuỗm, luộm thuộm, nhuộm
    "oong": {"b", "c", "đ", "g", "l", "m", "r", "x"},  # boong, Sơn Đoòng, goòng, xoong
    "ooc": {"c", "h", "m", "s", "v"},  # coóc, hoóc, moóc, soóc, voọc
    "oach": {"", "h", "x"},  # oách, hoạch, xoạch
    "oam": {"", "ng"},  # oàm, ngoạm
    "oao": {"ng"},  # ngoao
    "oap": {"", "ng"},  # oạp, ngoạp
    "oay": {"h", "kh", "l", "ng", "x"},  # hoay, khoáy, loay, ngoáy, xoay
    "oăm": {"", "h", "kh"},  # oăm, hoắm, khoằm
    "oăn": {"", "h", "kh", "ng", "th", "x"},  # oằn, khoăn, ngoằn, thoăn, xoăn
    "oăng": {"h", "kh", "l", "ng", "nh", "th"},  # hoằng, khoắng, loằng ngoằng
    "oen": {"h", "kh", "n", "ng", "nh"},  # hoen, khoen, Noen, nhoẻn
    "oeo": {"kh", "ng"},  # khoèo, ngoằn ngoèo
    "uâng": {"kh"},  # bâng khuâng
    "uây": {"", "kh", "ng"},  # uầy, khuấy, nguẩy
    "uênh": {"ch", "h", "kh", "t"},  # chuếnh choáng, huênh hoang, tuềnh
    "uơ": {"h", "kh", "th"},  # huơ, khuơ, thuở
    "uya": {"kh"},  # khuya
    "uych": {"", "h"},  # uỵch, huých
    "uyn": {"h", "t"},  # màn tuyn
    "uynh": {"", "h", "kh"},  # uỳnh, huynh, khuynh
    "uyp": {"t"},  # tuýp
    "uyt": {"b", "h", "ng", "s", "t", "x"},  # buýt, huýt, nguýt, suýt, tuýt
    "uyu": {"kh"},  # khuỷu, khuỵu
}

# Names from the Central Highlands (and Bắc Kạn) keep spellings Vietnamese
# words never use: k before a/o/u, a k coda, kr, open iê, ea.
_PROPER_NAME_SYLLABLES = (
    "búk", "đak", "đăk", "đắk", "ea", "kạn", "kon", "kông", "krông", "lăk", "lắk",
    "niê", "păk", "pắk",
)  # fmt: skip

_FRONT = ("i", "y", "e", "ê")
_LABIALS = {"b", "m", "p", "ph", "v"}
# A glide after a labial, after g or after r occurs only in a few words:
# tiền boa, xe buýt, thùng phuy, vải voan, góa.
_ODD_GLIDES = {("b", "oa"), ("b", "uyt"), ("ph", "uy"), ("v", "oan"), ("g", "oa")}
# Open y after a consonant is a spelling of i kept in some words: kỹ, lý,
# mỹ, ny lông, sỹ, tỷ, hy, Vy, Thy, xy lanh, Dy.
_Y_ONSETS = {"", "d", "h", "k", "l", "m", "n", "s", "t", "th", "v", "x"}
_STOPS = ("p", "t", "c", "ch")
# Combining marks: sắc, huyền, hỏi, ngã, nặng.
_TONE_MARKS = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_STOP_TONE_MARKS = ("\u0301", "\u0323")
_VOWEL_BASES = set("aeiouy")


def _spell(onset: str, rhyme: str, glide: bool) -> str | None:
    """The written onset + rhyme, or None when the spelling rules forbid it."""
    front = rhyme.startswith(_FRONT)
    if rhyme in _RARE_RHYME_ONSETS and onset not in _RARE_RHYME_ONSETS[rhyme]:
        return None
    if glide and onset in {"c", "k", "gh", "ngh", "gi"}:
        return None  # c + glide is written qu; the others never take it
    if glide and (onset in _LABIALS or onset in {"g", "r"}):
        if (onset, rhyme) not in _ODD_GLIDES:
            return None
    if onset in {"k", "gh", "ngh"} and not front:
        return None
    if onset in {"c", "g", "ng"} and front:
        return None
    if rhyme.startswith("yê") and onset:
        return None  # iê is written yê only when nothing comes before it
    if rhyme.startswith("iê") and not onset:
        return None
    if rhyme == "y" and onset not in _Y_ONSETS:
        return None
    if onset == "gi" and rhyme.startswith("i"):
        return "g" + rhyme  # gi + in is gìn, gi + iêng is giêng
    return onset + rhyme


def _untoned() -> set[str]:
    """Every onset + rhyme the rules allow, without a tone."""
    words = {
        word
        for onset in ONSETS
        if onset != "qu"
        for rhymes, glide in ((_PLAIN_RHYMES, False), (_GLIDE_RHYMES, True))
        for rhyme in rhymes
        if (word := _spell(onset, rhyme, glide))
    }
    # qu carries the glide itself: qu + oa → qua, qu + uyên → quyên.
    words.update("qu" + rhyme[1:] for rhyme in _GLIDE_RHYMES)
    words.update("qu" + rhyme for rhyme in _QU_ONLY_RHYMES)
    return words


def _with_tone(word: str, mark: str) -> str:
    """``word`` with ``mark`` on its first vowel, then moved to its proper
    vowel by the project's own rule."""
    nfd = unicodedata.normalize("NFD", word)
    at = next(i for i, char in enumerate(nfd) if char in _VOWEL_BASES)
    toned = unicodedata.normalize("NFC", nfd[: at + 1] + mark + nfd[at + 1 :])
    return normalize_syllable(toned)


def generate() -> list[str]:
    """Every Vietnamese syllable the spelling rules allow, toned, sorted.

    Syllables closed by p, t, c or ch take only sắc and nặng (cáp and cạp,
    never càp, nor a plain cap); the others take all six tones.
    """
    syllables = set(_PROPER_NAME_SYLLABLES)
    for word in _untoned():
        if word.endswith(_STOPS):
            syllables.update(_with_tone(word, mark) for mark in _STOP_TONE_MARKS)
        else:
            syllables.add(word)
            syllables.update(_with_tone(word, mark) for mark in _TONE_MARKS)
    return sorted(syllables)


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    """The shipped list, read once; ``#`` lines are comments."""
    with open(SYLLABLES_PATH, encoding="utf-8") as stream:
        return frozenset(
            line.strip() for line in stream if line.strip() and not line.startswith("#")
        )


def is_syllable(word: str) -> bool:
    """Whether ``word`` is one Vietnamese syllable, whatever its case, Unicode
    form or tone placement (``HOÀ``, ``hòa`` and ``hoà`` are all one)."""
    # ð is the Icelandic eth some keyboards type for đ (as in normalize_text).
    lowered = unicodedata.normalize("NFC", word).lower().replace("ð", "đ")
    return normalize_syllable(lowered) in _known()
