"""Step 2 of analysis: word segmentation, exactly as pyvi does it, faster.

    >>> tokenize("Cán bộ luân chuyển về TP.HCM")
    'Cán_bộ luân_chuyển về TP. HCM'
    >>> tokenize_words("Cán bộ luân chuyển")
    ['Cán_bộ', 'luân_chuyển']

The output is byte-for-byte that of ``pyvi.ViTokenizer.tokenize``: same
syllable regex, same CRF model (loaded from the installed ``pyvi`` package),
same features, same gluing rules. Only the work around the model is cheaper:

* pyvi builds a dict of 15 features per syllable and lets python-crfsuite
  turn each dict into attributes. Here each distinct syllable's own
  attributes (``word.lower():x``, ``-1:word.lower():x``, ``word.istitle()``,
  ...) are computed once and cached, and every item is handed to the tagger
  as a plain list of attribute names.
* A feature whose value is ``False`` reaches crfsuite as weight 0.0, which
  adds ``0.0 * w`` to each label score, so leaving it out changes nothing;
  every other feature (``bias: 1.0``, ``True``, string values) has weight
  1.0, which is what a bare attribute name gets. Attributes the model does
  not know (``word.lower():`` of a rare word) are dropped by crfsuite
  itself; dropping them first saves converting and looking them up.
  Attributes keep pyvi's order so even the floating-point sums are the same.
* Bigram/trigram dictionary checks are done once per pair/triple instead of
  twice (once for each side), on tuples of lowercased syllables.
* Whole lines are cached (LRU): bylines, captions and boilerplate recur.

pycrfsuite taggers are not thread-safe, so each thread opens its own tagger
on the one shared in-memory copy of the model.
"""

from __future__ import annotations

import os
import pickle
import re
import string
import tempfile
import threading
import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import pycrfsuite

__all__ = ["tokenize", "tokenize_words", "syllabify", "clear_caches"]

LINE_CACHE_SIZE = 16_384
# Distinct syllables seen in news are a few tens of thousands (case variants,
# names, numbers included); past this the table is simply rebuilt.
_MAX_SEEN_SYLLABLES = 100_000

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

# The dictionary features an item gets from the pair/triple ending at it
# (before) or starting at it (after), indexed by 2 * in_bigrams + in_trigrams.
_BEFORE_FLAGS = ((), (b"-2:word.tri_gram()",), (b"-1:word.bi_gram()",),
                 (b"-1:word.bi_gram()", b"-2:word.tri_gram()"))
_AFTER_FLAGS = ((), (b"+2:word.tri_gram()",), (b"+1:word.bi_gram()",),
                (b"+1:word.bi_gram()", b"+2:word.tri_gram()"))


def syllabify(text: str) -> tuple[str, list[str]]:
    """pyvi's ``sylabelize``: NFC text and its syllables/punctuation tokens.

        >>> syllabify("Hà Nội, 1/4/1975")
        ('Hà Nội, 1/4/1975', ['Hà', 'Nội', ',', '1', '/', '4', '/', '1975'])
    """
    text = unicodedata.normalize("NFC", text)
    return text, _SYLLABLE.findall(text)


# --- the model --------------------------------------------------------------


class _PyviModel(NamedTuple):
    crf_bytes: bytes  # crfsuite model; taggers read it in place, keep it alive
    attributes: frozenset[bytes]  # every attribute name the model has weights for
    bigrams: frozenset[tuple[str, str]]
    trigrams: frozenset[tuple[str, str, str]]


def _pyvi_models_dir() -> Path:
    # Importing the package only runs its tiny __init__; the warnings guard is
    # for newer Pythons, where pyvi's modules carry invalid escape sequences.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyvi
    return Path(pyvi.__file__).parent / "models"


def _read_crf_bytes(pickle_path: Path) -> bytes:
    """The crfsuite model inside pyvi's pickled sklearn_crfsuite.CRF."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open(pickle_path, "rb") as fin:
            crf = pickle.load(fin)
    # Unpickling writes the model to a temp file, removed with the object.
    return Path(crf.modelfile.name).read_bytes()


def _read_attribute_names(crf_bytes: bytes) -> frozenset[bytes]:
    """The model's attribute names, from crfsuite's own text dump.

    Dump lines read ``   42: word.lower():hà``; a few names end in a newline
    (the ``\n`` syllable), so entries are split on the numbering and the
    numbers must run 0, 1, 2, ... for the parse to be trusted.
    """
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(crf_bytes)
    with tempfile.TemporaryDirectory() as tmp:
        dump_path = Path(tmp) / "model.txt"
        tagger.dump(str(dump_path))
        dump = dump_path.read_bytes()
    header = b"\nATTRIBUTES = {\n"
    start = dump.index(header) + len(header)
    section = dump[start : dump.index(b"\n}\n", start)]
    parts = re.split(rb"(?:^|\n) *(\d+): ", section)
    numbers, names = parts[1::2], parts[2::2]
    declared = int(re.search(rb"num_attrs: (\d+)", dump).group(1))
    if [int(n) for n in numbers] != list(range(declared)):
        raise ValueError(f"pyvi model dump: cannot read its {declared} attribute names")
    return frozenset(names)


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
_per_thread = threading.local()


def _load_model() -> _PyviModel:
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                models_dir = _pyvi_models_dir()
                bigrams, trigrams = _read_ngrams(models_dir / "words.txt")
                crf_bytes = _read_crf_bytes(models_dir / "pyvi3.pkl")
                attributes = _read_attribute_names(crf_bytes)
                _model = _PyviModel(crf_bytes, attributes, bigrams, trigrams)
    return _model


def _tagger() -> pycrfsuite.Tagger:
    """This thread's tagger (crfsuite taggers keep per-call state)."""
    tagger = getattr(_per_thread, "tagger", None)
    if tagger is None:
        tagger = pycrfsuite.Tagger()
        tagger.open_inmemory(_load_model().crf_bytes)
        _per_thread.tagger = tagger
    return tagger


def _reset_lock_after_fork() -> None:
    # A fork taken while another thread held the lock would leave it held.
    global _model_lock
    _model_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_after_fork)


# --- features ---------------------------------------------------------------


class _Syllable(NamedTuple):
    """What one syllable contributes to its own and its neighbours' items."""

    lower: str
    own: tuple[bytes, ...]  # bias, word.lower(), isupper, istitle, isdigit
    as_previous: tuple[bytes, ...]  # the -1: features of the next syllable
    as_next: tuple[bytes, ...]  # the +1: features of the previous syllable
    blocks_glue: bool  # punctuation or starts with a digit: never glued
    starts_title: bool


def _describe(syllable: str, known: frozenset[bytes]) -> _Syllable:
    """Compute a syllable's feature attributes once (order as in pyvi)."""
    lower = syllable.lower()
    lower_utf8 = lower.encode("utf-8")
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
    first = syllable[0]
    return _Syllable(
        lower=lower,
        # crfsuite would skip names it has no weights for (a rare word's
        # lower()); skipping them here saves converting and looking them up.
        own=tuple(name for name in own if name in known),
        as_previous=tuple(name for name in as_previous if name in known),
        as_next=tuple(name for name in as_next if name in known),
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
            facts = seen[syllable] = _describe(syllable, model.attributes)
        described.append(facts)
    return described


def crf_items(syllables: list[_Syllable], model: _PyviModel) -> list[tuple[bytes, ...]]:
    """One crfsuite attribute tuple per syllable, equal to pyvi's feature dicts.

    An item is its syllable's own attributes, then those from the syllable
    before, then those from the syllable after (pyvi's dict order).
    """
    lowers = [s.lower for s in syllables]
    # Each pair/triple is looked up once; pyvi looks it up from both ends.
    in_bigrams = [pair in model.bigrams for pair in zip(lowers, lowers[1:])]
    in_trigrams = [
        triple in model.trigrams for triple in zip(lowers, lowers[1:], lowers[2:])
    ]
    # For item i, "before" uses the pair (i-1, i) and triple (i-2, i-1, i);
    # "after" uses the pair (i, i+1) and triple (i, i+1, i+2).
    before = [()] + [
        s.as_previous + _BEFORE_FLAGS[2 * bi + tri]
        for s, bi, tri in zip(syllables, in_bigrams, [False, *in_trigrams])
    ]
    after = [
        s.as_next + _AFTER_FLAGS[2 * bi + tri]
        for s, bi, tri in zip(syllables[1:], in_bigrams, [*in_trigrams, False])
    ] + [()]
    return [s.own + b + a for s, b, a in zip(syllables, before, after)]


# --- gluing and the public functions ----------------------------------------


def _glue(syllables: list[str], facts: list[_Syllable], labels: list[str]) -> list[str]:
    """Join I_W syllables to the previous one with ``_``, under pyvi's vetoes:
    no glue next to punctuation or a digit, nor from lower to Title case."""
    words = []
    current = [syllables[0]]
    for i in range(1, len(syllables)):
        before, this = facts[i - 1], facts[i]
        if (
            labels[i] == "I_W"
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
    labels = _tagger().tag(crf_items(facts, model))
    return tuple(_glue(syllables, facts, labels))


_segment_cached = lru_cache(maxsize=LINE_CACHE_SIZE)(_segment)


def tokenize_words(text: str, *, cache: bool = True) -> list[str]:
    """pyvi's words as a list; [] when the text has no syllables.

        >>> tokenize_words("Đại thắng mùa xuân năm 1975")
        ['Đại_thắng', 'mùa', 'xuân', 'năm', '1975']

    ``cache=False`` skips the line cache (for benchmarks).
    """
    return list(_segment_cached(text) if cache else _segment(text))


def tokenize(text: str, *, cache: bool = True) -> str:
    """Exactly ``pyvi.ViTokenizer.tokenize(text)``.

        >>> tokenize("Hôm nay trời đẹp")
        'Hôm_nay trời đẹp'

    Like pyvi, text without any syllable (``""``, ``"  "``) comes back
    unchanged, and otherwise the result is in NFC.
    """
    words = _segment_cached(text) if cache else _segment(text)
    return " ".join(words) if words else text


def clear_caches() -> None:
    """Forget cached lines and syllables (benchmarks measure from cold)."""
    _segment_cached.cache_clear()
    _seen_syllables.clear()
