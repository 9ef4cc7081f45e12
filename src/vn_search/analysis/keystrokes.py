"""Read Vietnamese typed as raw keystrokes, with the input method switched off.

Someone whose Telex or VNI input method is off (or who never had one) still
types the keys: ``vieejt nam`` or ``vie6t5 nam`` for *việt nam*. This module
replays those keys the way Unikey would and keeps only results that are
real syllables (:func:`~vn_search.analysis.syllables.is_syllable`):

    >>> keystroke_readings("vieejt")
    ['việt']
    >>> keystroke_readings("Vie6t5")
    ['Việt']
    >>> keystroke_readings("Trump")
    []
    >>> decode_query("Ddaf Nawngx hom nay")
    [(0, 4, ['Đà']), (5, 11, ['Nẵng'])]

It only reports readings; whether ``cats`` meant *cát* is for the caller to
decide, for instance by comparing how often each form occurs in the corpus.
Every key has to be used by a valid syllable, so most foreign words
(``Messi``, ``Windows``, ``COVID-19``) get no reading at all.

Telex: ``aa ee oo`` → â ê ô, ``aw ow uw`` → ă ơ ư, ``uow`` → ươ, a lone
``w`` → ư, ``dd`` → đ, tones ``s f r x j`` (``z`` clears). VNI: ``6`` roof,
``7`` horn, ``8`` breve, ``9`` đ, tones ``1``–``5`` (``0`` clears). As in
Unikey, a tone may be typed right after its vowel or at the end of the word,
and a horn after the final consonant (``truongwf``); the tone lands where
:func:`~vn_search.analysis.normalize.normalize_syllable` puts it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from vn_search.analysis.normalize import normalize_syllable
from vn_search.analysis.syllables import is_syllable

__all__ = ["keystroke_readings", "decode_query"]

_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_TELEX_TONES = {"s": _ACUTE, "f": _GRAVE, "r": _HOOK, "x": _TILDE, "j": _DOT}
_VNI_TONES = {"1": _ACUTE, "2": _GRAVE, "3": _HOOK, "4": _TILDE, "5": _DOT}
_VOWELS = set("aeiouy")
# Shapes: circumflex, breve, horn, as combining marks.
_HAT, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_LONGEST_TYPING = 12  # "khuyeechs" is 9 keys; anything much longer is not one syllable
_TELEX_WORD = re.compile(r"[a-z]+")
_VNI_WORD = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class _Typed:
    """A syllable being typed: letters as (base, shape mark), and its tone.

    ``tone`` is None until a tone key is pressed, "" once it is cleared.
    """

    letters: tuple[tuple[str, str], ...] = ()
    tone: str | None = None

    def add(self, base: str, shape: str = "") -> _Typed:
        return replace(self, letters=(*self.letters, (base, shape)))

    def reshape(self, at: int, shape: str) -> _Typed:
        letters = list(self.letters)
        letters[at] = (letters[at][0], shape)
        return replace(self, letters=tuple(letters))

    def vowel_run(self) -> list[int]:
        """Indices of the last run of vowels: the nucleus being typed."""
        run: list[int] = []
        for at, (base, _) in enumerate(self.letters):
            if base in _VOWELS:
                if run and run[-1] != at - 1:
                    run = []
                run.append(at)
        return run

    def spelled(self) -> str:
        """The syllable in NFC, its tone where the project puts it."""
        text = "".join(base + shape for base, shape in self.letters)
        if self.tone:
            first_vowel = next(at for at, (base, _) in enumerate(self.letters) if base in _VOWELS)
            text = "".join(
                base + shape + (self.tone if at == first_vowel else "")
                for at, (base, shape) in enumerate(self.letters)
            )
        return normalize_syllable(unicodedata.normalize("NFC", text))


def _horned(typed: _Typed, run: list[int]) -> list[_Typed]:
    """Every way a horn key (Telex w, VNI 7) can shape the nucleus, best
    first: u+o together (ươ), then one vowel at a time from the right.
    Which one was meant (thuở or thưở, mưa or muă) is left to the syllable
    check."""
    choices: list[_Typed] = []
    for left, right in zip(run, run[1:]):
        if typed.letters[left][0] == "u" and typed.letters[right] == ("o", ""):
            choices.append(typed.reshape(left, _HORN).reshape(right, _HORN))
    for at in reversed(run):
        base, shape = typed.letters[at]
        if not shape and base in "uoa":
            choices.append(typed.reshape(at, _BREVE if base == "a" else _HORN))
    return choices


def _telex_key(typed: _Typed, key: str) -> list[_Typed]:
    """The states after one Telex key; [] when the key cannot belong to a
    Vietnamese syllable typed this way."""
    run = typed.vowel_run()
    if key in _TELEX_TONES and run:
        # A second tone key is Unikey's undo (``ss`` → s) or a correction:
        # either way not a word someone meant as Vietnamese.
        return [] if typed.tone is not None else [replace(typed, tone=_TELEX_TONES[key])]
    if key == "z" and run:
        return [replace(typed, tone="")] if typed.tone else []
    if key == "d" and typed.letters == (("d", ""),):
        return [_Typed((("đ", ""),))]
    if key == "d" and typed.letters == (("đ", ""),):
        return []  # ddd: Unikey's undo
    if key == "w":
        if typed.tone is not None:
            return []  # the horn comes before the tone, as for roofs below
        if not run:
            return [typed.add("u", _HORN)]  # a lone w is ư: tw, nhw
        return _horned(typed, run)
    # A vowel after the tone key is taken, as Unikey takes it: readers put
    # the tone right after the vowel it marks (caso for cáo, hoofi for hồi).
    # That reads there, taxi, visa as thể, tãi, vía too: whether a reading
    # is meant is the caller's call, by how often each form occurs.
    if typed.letters and typed.letters[-1][0] == key and key in "aeo":
        # The roof goes on the vowel just typed (aa, ee, oo); a third key
        # undoes it, as in Unikey: xooong is xoong.
        shape = typed.letters[-1][1]
        if not shape:
            return [typed.reshape(len(typed.letters) - 1, _HAT)]
        if shape == _HAT:
            return [typed.reshape(len(typed.letters) - 1, "").add(key)]
    return [typed.add(key)]


def _vni_key(typed: _Typed, key: str) -> list[_Typed]:
    """The states after one VNI key. Digits are never letters, so a digit
    that shapes nothing makes the word a code (U23, A4), not Vietnamese."""
    if not key.isdigit():
        return [typed.add(key)]
    run = typed.vowel_run()
    if key in _VNI_TONES:
        return [replace(typed, tone=_VNI_TONES[key])] if run and typed.tone is None else []
    if key == "0":
        return [replace(typed, tone="")] if typed.tone else []
    if key == "9":
        if typed.letters and typed.letters[0] == ("d", ""):
            return [replace(typed, letters=(("đ", ""), *typed.letters[1:]))]
        return []
    if key == "7":
        return _horned(typed, run)
    if key in "68":
        wanted = "aeo" if key == "6" else "a"
        shape = _HAT if key == "6" else _BREVE
        shapeable = [at for at in run if typed.letters[at] in {(base, "") for base in wanted}]
        return [typed.reshape(shapeable[-1], shape)] if shapeable else []
    return []


def _replay(keys: str, step: Callable[[_Typed, str], list[_Typed]]) -> list[_Typed]:
    """Every way of reading ``keys`` that survives to the last key."""
    states = [_Typed()]
    for key in keys:
        states = [after for state in states for after in step(state, key)]
        if not states:
            break
    return states


def _spellings(typed: _Typed, keys: str) -> list[str]:
    """The typed syllable, and ươ for ưo, which Unikey completes by itself
    when the ư was typed uw (tuwong → tương). Not for a lone w: "wong" and
    "won" are names, not ương and ươn."""
    word = typed.spelled()
    if "uw" in keys or "u7" in keys:
        return list(dict.fromkeys([word, word.replace("ưo", "ươ")]))
    return [word]


def _is_lone_vowel(typed: _Typed, keys: str) -> bool:
    # "as", "is", "us", "of", "or", "if", "w" would read as á, í, ú, ò, ỏ, ì,
    # ư: common English words and units against rare interjections. ý (ys)
    # and ở (owr) stay.
    if len(typed.letters) != 1:
        return False
    return typed.letters[0] in {(v, "") for v in "aeiou"} or keys.startswith("w")


def _in_case_of(word: str, typed_as: str) -> str:
    """``word`` in the case ``typed_as`` was typed in."""
    letters = [char for char in typed_as if char.isalpha()]
    if len(letters) > 1 and all(char.isupper() for char in letters):
        return word.upper()
    if typed_as[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def keystroke_readings(word: str) -> list[str]:
    """The syllables ``word`` spells when read as Telex or VNI keystrokes,
    best first, in the case it was typed in; [] when it has no keystroke or
    no reading that is a Vietnamese syllable.

    >>> keystroke_readings("dduowngf"), keystroke_readings("thuyr"), keystroke_readings("nam")
    (['đường'], ['thủy'], [])
    """
    keys = word.lower()
    if len(keys) > _LONGEST_TYPING:
        return []
    # A word that is a syllable as typed (xoong, boong) still gets its
    # reading (xông, bông); readers type công as coong too. The caller
    # keeps the word when the articles use it.
    if _TELEX_WORD.fullmatch(keys):
        states = _replay(keys, _telex_key)
    elif _VNI_WORD.fullmatch(keys):
        states = _replay(keys, _vni_key)
    else:
        return []
    readings: list[str] = []
    for typed in states:
        if _is_lone_vowel(typed, keys):
            continue
        for spelled in _spellings(typed, keys):
            # A reading must carry a mark: "Su30" (tone typed, then cleared)
            # spells plain su, which is no keystroke reading.
            if spelled.isascii() or not is_syllable(spelled):
                continue
            cased = _in_case_of(spelled, word)
            if cased not in readings:
                readings.append(cased)
    return readings


def decode_query(text: str) -> list[tuple[int, int, list[str]]]:
    """The span and readings of every word of ``text`` that has a keystroke
    reading, so a caller can rewrite ``vieejt nam`` as ``việt nam``. Words
    already typed with marks (``giá vàng hom nay``) have none.

    >>> decode_query("giá vàng hom nay")
    []
    """
    spans = []
    for match in _WORD.finditer(text):
        readings = keystroke_readings(match.group())
        if readings:
            spans.append((match.start(), match.end(), readings))
    return spans
