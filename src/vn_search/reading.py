"""How a query typed the way readers type is read before it is searched.

Two things readers do that the words of an article do not:

- they type with the input method off (``vieejt nam``, ``vie6t5 nam``):
  :func:`decode_keystrokes` reads such a word as the Vietnamese it stands
  for (``analysis/keystrokes.py``) when the index does not use the word as
  typed (or far less than the reading: ``ucs`` for *Úc*) and does use the
  reading, so ``Trump``, ``bar``, ``taxi`` or ``Lee`` (words the articles
  use) are never touched;
- they abbreviate where the article spells out, and the other way round
  (``CSGT`` ~ ``cảnh sát giao thông``, ``TPHCM`` ~ ``TP.HCM``):
  :func:`alternatives` finds those spans (``analysis/abbreviations.py``,
  with the definitions the index learned from its own articles) and gives
  each other form as words the index can match (:func:`form_units`), and
  the query written that way (:func:`rewording`) to be scored too. The
  query's own wording still ranks first (``query.ALTERNATIVE_WEIGHT``,
  ``engine.REWORDING_WEIGHT``).

    >>> known = {"việt": 900, "nam": 800}.get
    >>> decode_keystrokes("vieejt nam", lambda word: known(word.lower(), 0))
    'việt nam'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

from vn_search.analysis.abbreviations import AbbreviationTable, Learned
from vn_search.analysis.keystrokes import decode_query
from vn_search.analysis.syllables import is_syllable
from vn_search.analysis.normalize import normalize_query
from vn_search.analysis.segment import segment_terms
from vn_search.analysis.terms import fold_term
from vn_search.matching import Unit
from vn_search.query import ParsedQuery, Rewording, build_plan

__all__ = ["Alternative", "alternatives", "decode_keystrokes", "form_units", "reworded", "rewording"]

# A literal word seen in fewer documents than this is not a word the
# articles use; a keystroke reading must be seen in at least as many.
KNOWN_DOCUMENTS = 3
# A known word typed as keys (ucs for Úc) is read when its reading is this
# many times more common.
PLAUSIBLE_RATIO = 20
# A reading found in under this share of the documents that hold its
# syllable in any accented form is not what the reader meant.
RARE_ACCENTING = 0.01


def decode_keystrokes(
    query: str, frequency: Callable[[str], int], folded_frequency: Callable[[str], int] | None = None,
    known: int = KNOWN_DOCUMENTS,
) -> str | None:
    """``query`` with its keystroke-typed words read as Vietnamese, or
    None when there is nothing to read. ``frequency(word)`` is how many
    documents hold a word (as written, lowercase); ``folded_frequency``
    how many hold it in any accented form: a reading that is a rare way to
    accent a common syllable (``ninhf`` → *nình*, beside *ninh*) is a slip,
    left to the corrector. ``known``: documents that make a word one the
    articles use (fewer in a small index)."""
    pieces, cursor, changed = [], 0, False
    for start, end, readings in decode_query(query):
        literal = query[start:end]
        literal_count = frequency(literal.lower())
        best = max(readings, key=lambda reading: frequency(reading.lower()))
        count = frequency(best.lower())
        if count < known:
            continue
        # A word the articles use stays, unless the reading is far more
        # common and the word is no syllable (ucs, noor: corpus noise);
        # a syllable as typed (boong, xoong) stays whenever it is known.
        if literal_count >= known and (is_syllable(literal) or count < PLAUSIBLE_RATIO * literal_count):
            continue
        if folded_frequency is not None and count < RARE_ACCENTING * folded_frequency(fold_term(best.lower())):
            continue
        pieces += [query[cursor:start], best]
        cursor, changed = end, True
    if not changed:
        return None
    return "".join(pieces) + query[cursor:]


@lru_cache(maxsize=4096)
def form_units(form: str) -> tuple[Unit, ...]:
    """Another form of a query word as the index's words, matched without
    accents (``Thành phố Hồ Chí Minh`` → thành_phố, hồ_chí_minh; ``TP.HCM``
    → tp, hcm: the index keeps those as two syllables)."""
    words = [word for word in segment_terms(normalize_query(form)) if word]
    return tuple(tuple((syllable, False) for syllable in word) for word in words)


@dataclass(frozen=True)
class Alternative:
    """Query syllables ``start:end`` (counted over the query's words, as
    typed) may also be written as any of ``readings``."""

    start: int
    end: int
    readings: tuple[tuple[Unit, ...], ...]
    typed: str = "abbreviation"  # what the reader typed: "abbreviation", "expansion" or "alias"


def _reads_as_syllable(units: tuple[Unit, ...]) -> bool:
    """An abbreviation that is also a Vietnamese syllable (``DA`` for *dự
    án*: without accents it is *đa*, *da*, *dạ*): looked for when the
    reader typed the full form, it would find those words instead."""
    return len(units) == 1 and len(units[0]) == 1 and is_syllable(units[0][0][0])


def alternatives(cased_runs: list[list[str]], table: AbbreviationTable, learned: Learned | None) -> list[Alternative]:
    """The abbreviations and full forms among a query's words, each with
    the other forms to look for too. An ambiguous abbreviation (``ĐT``)
    comes with the meanings the rest of the query decides, or none."""
    syllables = [syllable for run in cased_runs for syllable in run]
    found = []
    for span in table.find_spans(syllables, learned):
        typed = tuple(s.lower() for s in syllables[span.start:span.end])
        forms = list(span.forms)
        if span.typed != "alias":
            forms.append(span.key)  # written as one word: TPHCM, GDĐT
        readings = tuple(dict.fromkeys(
            units for units in map(form_units, forms)
            if units and tuple(s for unit in units for s, _ in unit) != typed
            and not (span.typed != "abbreviation" and _reads_as_syllable(units))))
        if readings:
            found.append(Alternative(span.start, span.end, readings, span.typed))
    return found


def reworded(parsed: ParsedQuery, alternative: Alternative, reading: tuple[Unit, ...]) -> ParsedQuery:
    """The query with the syllables of ``alternative`` written as
    ``reading`` (``ở VN có`` → ``ở việt nam có``), to be scored as a query
    of its own: its words then count in pairs and proximity as typed ones
    do."""
    flat = [(syllable, cased, run) for run, (words, cased_words) in enumerate(zip(parsed.words, parsed.cased_words))
            for syllable, cased in zip(words, cased_words)]
    if not 0 <= alternative.start < alternative.end <= len(flat):
        return parsed
    run = flat[alternative.start][2]
    inserted = [(syllable, syllable, run) for unit in reading for syllable, _ in unit]
    flat[alternative.start:alternative.end] = inserted
    words: dict[int, list[str]] = {}
    cased: dict[int, list[str]] = {}
    for syllable, as_typed, number in flat:
        words.setdefault(number, []).append(syllable)
        cased.setdefault(number, []).append(as_typed)
    return replace(parsed, words=[words[n] for n in sorted(words)], cased_words=[cased[n] for n in sorted(cased)])


def rewording(parsed: ParsedQuery, alternative: Alternative, reading: tuple[Unit, ...], weight: float) -> Rewording:
    """The query with ``alternative`` written as ``reading``, ready to be
    scored beside the query as typed (``Scorer.run``), its other form
    counting ``weight`` of the reader's own."""
    written = reworded(parsed, alternative, reading)
    other = tuple(syllable for unit in reading for syllable, _ in unit)
    typed, position = [], 0  # the span's syllables in the query's runs (TP.HCM is two: tp, hcm)
    for words in parsed.words:
        run = tuple(words[max(alternative.start - position, 0):max(alternative.end - position, 0)])
        if run:
            typed.append(run)
        position += len(words)
    plan = build_plan(written)
    end = alternative.start + len(other)
    span = [index for index, group in enumerate(plan.groups) if alternative.start <= group.at[0] and group.at[1] < end]
    return Rewording(plan, weight, span, tuple(typed), (other,), reading)
