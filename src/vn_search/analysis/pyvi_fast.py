"""Step 2 of analysis: word segmentation, exactly as pyvi does it, faster.

    >>> tokenize("Cán bộ luân chuyển về TP.HCM")
    'Cán_bộ luân_chuyển về TP. HCM'
    >>> tokenize_words("Cán bộ luân chuyển")
    ['Cán_bộ', 'luân_chuyển']

The output is that of ``pyvi.ViTokenizer.tokenize``, character for
character: same syllable regex, same CRF weights (read from the model file
inside the installed ``pyvi`` package), same features, same gluing rules.
What changes is the work around the model:

* pyvi builds a dict of up to 15 features per syllable, python-crfsuite
  turns each into C++ strings and crfsuite looks every one up in its
  attribute dictionary. Here each distinct syllable is looked up once: its
  own features are summed into a score per label, and the weights it lends
  its neighbours (``-1:word.lower():x``, ``+1:word.istitle()``...) are kept.
* A sentence's label scores are then those sums plus the neighbours'
  weights, added one by one in pyvi's feature order, so every float
  addition is the one crfsuite makes; Viterbi is crfsuite's, tie-breaking
  included. With two labels that is a few lines of Python.
* A bigram/trigram is looked up once, not once from each end.
* Whole lines are cached (LRU): bylines, captions and boilerplate recur.

Nothing is mutable after loading, so threads can share everything.
"""

from __future__ import annotations

import os
import pickle
import re
import string
import struct
import threading
import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

__all__ = ["tokenize", "tokenize_words", "syllabify", "clear_caches"]

LINE_CACHE_SIZE = 4096
# Lines that recur (bylines, captions, boilerplate) are short; long ones
# almost never repeat and would only push the short ones out of the cache.
_MAX_CACHED_LINE = 256
# Distinct syllables in news run to tens of thousands (names, numbers, case
# variants); past this the table is simply rebuilt.
_MAX_SEEN_SYLLABLES = 50_000

# pyvi's `sylabelize` pattern, piece for piece and in the same order (the
# order decides which alternative wins). Raw strings: pyvi's plain strings
# rely on invalid escapes that warn on Python 3.12+. Groups are made
# non-capturing so findall returns the tokens themselves.
_ABBREVIATIONS = [r"[A-ZĐ]+\.", r"Tp\.", r"Mr\.", r"Mrs\.", r"Ms\.", r"Dr\.", r"ThS\."]
_SPECIALS = ["==>", "->", r"\.\.\.", ">>", "\n"]
_WEB = r"\w+://[^\s]+"
_EMAIL = r"(?:[a-zA-Z0-9_.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)"
_DIGIT = r"\d+(?:[\.,_]\d+)+"
_NON_WORD = r"[^\w\s]"
_WORD = r"\w+"
_SYLLABLE = re.compile(
    "(?:"
    + "|".join([*_ABBREVIATIONS, *_SPECIALS, _WEB, _EMAIL, _DIGIT, _NON_WORD, _WORD])
    + ")"
)


def syllabify(text: str) -> tuple[str, list[str]]:
    """pyvi's ``sylabelize``: NFC text and its syllables/punctuation tokens.

        >>> syllabify("Hà Nội, 1/4/1975")
        ('Hà Nội, 1/4/1975', ['Hà', 'Nội', ',', '1', '/', '4', '/', '1975'])
    """
    text = unicodedata.normalize("NFC", text)
    return text, _SYLLABLE.findall(text)


# --- the model --------------------------------------------------------------

# A weight pair is (weight for label B_W, weight for label I_W).
_Weights = tuple[float, float]
_NO_WEIGHT: _Weights = (0.0, 0.0)


class _PyviModel(NamedTuple):
    state: dict[bytes, _Weights]  # attribute name -> weights
    transition: tuple[float, float, float, float]  # B->B, B->I, I->B, I->I
    bigrams: frozenset[tuple[str, str]]
    trigrams: frozenset[tuple[str, str, str]]


def _pyvi_models_dir() -> Path:
    # Importing the package only runs its tiny __init__; the warnings guard is
    # for newer Pythons, where pyvi's modules carry invalid escape sequences.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyvi
    return Path(pyvi.__file__).parent / "models"


class _Opaque:
    """Stands in for every class named in pyvi's pickle, keeping its state."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.state = state


class _StateOnlyUnpickler(pickle.Unpickler):
    # Rebuilding the real sklearn_crfsuite.CRF would import scikit-learn
    # (over a second) and write the model to a temp file, only for us to
    # read its bytes back; and no class code runs from the pickle this way.
    def find_class(self, module: str, name: str):
        if (module, name) == ("_codecs", "encode"):  # protocol 2 stores bytes this way
            return super().find_class(module, name)
        return _Opaque


def _read_crf_bytes(pickle_path: Path) -> bytes:
    """The crfsuite model file held inside pyvi's pickled CRF object."""
    with open(pickle_path, "rb") as fin:
        crf = _StateOnlyUnpickler(fin).load()
    try:
        # sklearn_crfsuite's FileResource pickles its file's content under this key.
        return crf.state["modelfile"].state["__FILE_RESOURCE_DATA__"]
    except (AttributeError, KeyError, TypeError):
        raise ValueError(
            f"{pickle_path}: expected a pickled sklearn_crfsuite CRF holding its model file"
        ) from None


def _cqdb_strings(model: bytes, offset: int) -> list[bytes]:
    """The strings of a crfsuite string table (CQDB), in id order.

    Its header ends with the size and offset of an array giving, for each
    id, where its record sits: (id, size including the NUL, string).
    """
    magic, _, _, _, count, array_at = struct.unpack_from("<4s5I", model, offset)
    if magic != b"CQDB":
        raise ValueError(f"pyvi CRF model: no string table at byte {offset}")
    array = model[offset + array_at : offset + array_at + 4 * count]
    strings = []
    for ident, (record_at,) in enumerate(struct.iter_unpack("<I", array)):
        record_id, size = struct.unpack_from("<2I", model, offset + record_at)
        if record_id != ident:
            raise ValueError(f"pyvi CRF model: string {ident} is stored as {record_id}")
        start = offset + record_at + 8
        strings.append(model[start : start + size - 1])
    return strings


def _read_crfsuite_weights(model: bytes):
    """State weights by attribute name, and the 2x2 transition weights.

    The layout is crfsuite's ``crf1d_model.c``: a header of offsets, a
    feature table of (type, source, label, weight) records, and string
    tables for labels and attributes.
    """
    magic, *_, features_at, labels_at, attributes_at, _, _ = struct.unpack_from("<4sI4s9I", model)
    if magic != b"lCRF":
        raise ValueError("pyvi CRF model: not a crfsuite model file")
    if _cqdb_strings(model, labels_at) != [b"B_W", b"I_W"]:
        raise ValueError("pyvi CRF model: expected the labels B_W, I_W")
    attributes = _cqdb_strings(model, attributes_at)
    magic, _, count = struct.unpack_from("<4s2I", model, features_at)
    if magic != b"FEAT":
        raise ValueError(f"pyvi CRF model: no feature table at byte {features_at}")
    records = model[features_at + 12 : features_at + 12 + 20 * count]
    state: dict[bytes, list[float]] = {}
    transition = [0.0] * 4
    for kind, source, label, weight in struct.iter_unpack("<3Id", records):
        if kind == 0:  # state feature: attribute -> label
            state.setdefault(attributes[source], [0.0, 0.0])[label] = weight
        else:  # transition feature: label -> label
            transition[2 * source + label] = weight
    return {name: tuple(pair) for name, pair in state.items()}, tuple(transition)


def _read_ngrams(words_path: Path):
    """pyvi's words.txt as tuples; ``("cán", "bộ") in bigrams``.

    pyvi tests ``" ".join(syllables).lower() in bi_grams``; syllables never
    contain spaces and lowercasing does not cross one, so comparing tuples
    of lowercased syllables is the same test without building a string.
    """
    # newline="" keeps any "\r" in the entries, as pyvi's codecs.open does.
    with open(words_path, encoding="utf-8", newline="") as fin:
        entries = [line.split(" ") for line in fin.read().split("\n")]
    bigrams = frozenset(tuple(parts) for parts in entries if len(parts) == 2)
    trigrams = frozenset(tuple(parts) for parts in entries if len(parts) == 3)
    return bigrams, trigrams


_model: _PyviModel | None = None
_model_lock = threading.Lock()


def _load_model() -> _PyviModel:
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                models_dir = _pyvi_models_dir()
                bigrams, trigrams = _read_ngrams(models_dir / "words.txt")
                crf = _read_crf_bytes(models_dir / "pyvi3.pkl")
                state, transition = _read_crfsuite_weights(crf)
                _model = _PyviModel(state, transition, bigrams, trigrams)
    return _model


def _reset_lock_after_fork() -> None:
    # A fork taken while another thread held the lock would leave it held.
    global _model_lock
    _model_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_after_fork)


# --- features and label scores ----------------------------------------------


class _Syllable(NamedTuple):
    """What one syllable contributes to its own and its neighbours' scores."""

    lower: str
    own: _Weights  # bias + word.lower() + isupper + istitle + isdigit
    as_previous: tuple[_Weights, ...]  # -1:lower, -1:istitle, -1:isupper
    as_next: tuple[_Weights, ...]  # +1:lower, +1:istitle, +1:isupper
    blocks_glue: bool  # punctuation or starts with a digit: never glued
    starts_title: bool


def _describe(syllable: str, state: dict[bytes, _Weights]) -> _Syllable:
    """Look a syllable's features up once, in pyvi's order.

    A feature that is False, or that the model has no weight for, adds
    nothing in crfsuite, so it is left out.
    """
    lower = syllable.lower()
    # crfsuite looks names up as C strings, so a NUL (possible inside a
    # URL token) ends the name there.
    lower_utf8 = lower.encode("utf-8").split(b"\0", 1)[0]
    is_upper, is_title = syllable.isupper(), syllable.istitle()
    own = [b"bias", b"word.lower():" + lower_utf8]
    if is_upper:
        own.append(b"word.isupper()")
    if is_title:
        own.append(b"word.istitle()")
    if syllable.isdigit():
        own.append(b"word.isdigit()")
    as_previous = [b"-1:word.lower():" + lower_utf8]
    as_next = [b"+1:word.lower():" + lower_utf8]
    if is_title:
        as_previous.append(b"-1:word.istitle()")
        as_next.append(b"+1:word.istitle()")
    if is_upper:
        as_previous.append(b"-1:word.isupper()")
        as_next.append(b"+1:word.isupper()")
    # The own features come first in every item, so their running sum from
    # 0.0 is exactly crfsuite's partial sum.
    own_b = own_i = 0.0
    for weight_b, weight_i in (state[name] for name in own if name in state):
        own_b += weight_b
        own_i += weight_i
    first = syllable[0]
    return _Syllable(
        lower=lower,
        own=(own_b, own_i),
        as_previous=tuple(state[name] for name in as_previous if name in state),
        as_next=tuple(state[name] for name in as_next if name in state),
        # pyvi's test is a substring test on string.punctuation; kept as is.
        blocks_glue=syllable in string.punctuation or first.isdigit(),
        starts_title=first.istitle(),
    )


_seen_syllables: dict[str, _Syllable] = {}


def _describe_all(syllables: list[str], model: _PyviModel) -> list[_Syllable]:
    seen = _seen_syllables
    if len(seen) > _MAX_SEEN_SYLLABLES:
        seen.clear()
    described = []
    for syllable in syllables:
        facts = seen.get(syllable)
        if facts is None:
            facts = seen[syllable] = _describe(syllable, model.state)
        described.append(facts)
    return described


def _label_scores(syllables: list[_Syllable], model: _PyviModel) -> list[_Weights]:
    """Per syllable (score B_W, score I_W), summed as crfsuite sums them.

    Item i's features in pyvi's order: its own; from syllable i-1 (lower,
    istitle, isupper, then the bigram (i-1, i) and the trigram (i-2, i-1,
    i)); from syllable i+1 (lower, istitle, isupper, then the bigram
    (i, i+1) and trigram (i, i+1, i+2)). A weight missing for one label is
    0.0 here: adding 0.0 changes no sum (at most the sign of a zero).
    """
    n = len(syllables)
    state = model.state
    bigram_before = state.get(b"-1:word.bi_gram()", _NO_WEIGHT)
    trigram_before = state.get(b"-2:word.tri_gram()", _NO_WEIGHT)
    bigram_after = state.get(b"+1:word.bi_gram()", _NO_WEIGHT)
    trigram_after = state.get(b"+2:word.tri_gram()", _NO_WEIGHT)
    lowers = [s.lower for s in syllables]
    # Each pair/triple is looked up once; pyvi looks it up from both ends.
    in_bigrams = [pair in model.bigrams for pair in zip(lowers, lowers[1:])]
    in_trigrams = [t in model.trigrams for t in zip(lowers, lowers[1:], lowers[2:])]
    scores = []
    for i, syllable in enumerate(syllables):
        score_b, score_i = syllable.own
        if i > 0:
            for weight_b, weight_i in syllables[i - 1].as_previous:
                score_b += weight_b
                score_i += weight_i
            if in_bigrams[i - 1]:
                score_b += bigram_before[0]
                score_i += bigram_before[1]
            if i > 1 and in_trigrams[i - 2]:
                score_b += trigram_before[0]
                score_i += trigram_before[1]
        if i < n - 1:
            for weight_b, weight_i in syllables[i + 1].as_next:
                score_b += weight_b
                score_i += weight_i
            if in_bigrams[i]:
                score_b += bigram_after[0]
                score_i += bigram_after[1]
            if i < n - 2 and in_trigrams[i]:
                score_b += trigram_after[0]
                score_i += trigram_after[1]
        scores.append((score_b, score_i))
    return scores


def _viterbi(scores: list[_Weights], transition) -> list[bool]:
    """crfsuite's ``crf1dc_viterbi`` for two labels: True where I_W.

    Same additions in the same order, and the same tie-breaking: a label
    wins only when strictly better, so ties go to B_W.
    """
    b_to_b, b_to_i, i_to_b, i_to_i = transition
    best_b, best_i = scores[0]
    came_from = []  # per position: (best before B is I, best before I is I)
    for score_b, score_i in scores[1:]:
        via_b, via_i = best_b + b_to_b, best_i + i_to_b
        b_from_i = via_b < via_i
        next_b = (via_i if b_from_i else via_b) + score_b
        via_b, via_i = best_b + b_to_i, best_i + i_to_i
        i_from_i = via_b < via_i
        best_i = (via_i if i_from_i else via_b) + score_i
        best_b = next_b
        came_from.append((b_from_i, i_from_i))
    inside = best_b < best_i
    labels = [inside]
    for b_from_i, i_from_i in reversed(came_from):
        inside = i_from_i if inside else b_from_i
        labels.append(inside)
    labels.reverse()
    return labels


# --- gluing and the public functions ----------------------------------------


def _glue(syllables: list[str], facts: list[_Syllable], inside: list[bool]) -> list[str]:
    """Join I_W syllables to the previous one with ``_``, under pyvi's vetoes:
    no glue next to punctuation or a digit, nor from lower to Title case."""
    words = []
    current = [syllables[0]]
    for i in range(1, len(syllables)):
        before, this = facts[i - 1], facts[i]
        if (
            inside[i]
            and not this.blocks_glue
            and not before.blocks_glue
            and not (this.starts_title and not before.starts_title)
        ):
            current.append(syllables[i])
        else:
            words.append("_".join(current))
            current = [syllables[i]]
    words.append("_".join(current))
    return words


def _segment(text: str) -> tuple[str, ...]:
    """The words of ``text``; () when it has no syllables."""
    _, syllables = syllabify(text)
    if not syllables:
        return ()
    model = _load_model()
    facts = _describe_all(syllables, model)
    inside = _viterbi(_label_scores(facts, model), model.transition)
    return tuple(_glue(syllables, facts, inside))


_segment_cached = lru_cache(maxsize=LINE_CACHE_SIZE)(_segment)


def _words(text: str, cache: bool) -> tuple[str, ...]:
    if cache and len(text) <= _MAX_CACHED_LINE:
        return _segment_cached(text)
    return _segment(text)


def tokenize_words(text: str, *, cache: bool = True) -> list[str]:
    """pyvi's words as a list; [] when the text has no syllables.

        >>> tokenize_words("Đại thắng mùa xuân năm 1975")
        ['Đại_thắng', 'mùa', 'xuân', 'năm', '1975']

    ``cache=False`` skips the line cache (for benchmarks).
    """
    return list(_words(text, cache))


def tokenize(text: str, *, cache: bool = True) -> str:
    """Exactly ``pyvi.ViTokenizer.tokenize(text)``.

        >>> tokenize("Hôm nay trời đẹp")
        'Hôm_nay trời đẹp'

    Like pyvi, text without any syllable (``""``, ``"  "``) comes back
    unchanged, and otherwise the result is in NFC.
    """
    words = _words(text, cache)
    return " ".join(words) if words else text


def clear_caches() -> None:
    """Forget cached lines and syllables (benchmarks measure from cold)."""
    _segment_cached.cache_clear()
    _seen_syllables.clear()
