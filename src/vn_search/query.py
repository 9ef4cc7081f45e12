"""How a query typed into a search box is understood.

The grammar is small and cannot fail: ``"quoted phrases"``, ``-excluded``
words or ``-"phrases"``, ``NOT word``; everything else is words. Stray
quotes, colons, parentheses, ``AND``/``OR`` and other syntax of Whoosh's
own parser are just text here, so any string is a valid query.

    >>> parse_query('luân chuyển "cán bộ" -Lào').describe()
    'words=[luân chuyển] phrases=[cán bộ] excluded=[lào]'

Each syllable matches its folded form (so ``can bo`` finds ``cán bộ``)
and, when the query is typed with diacritics, also its exact form, which
scores extra: exact-diacritic matches rank first. Adjacent syllables also
match as a bigram / pyvi word, which rewards documents where they stand
together.
:func:`build_plan` turns this into the terms ``scoring.py`` scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vn_search.analysis.normalize import normalize_query
from vn_search.analysis.segment import split_protected
from vn_search.analysis.terms import JOINER, fold_term
from vn_search.matching import QueryWord, Unit, spelling_variants

__all__ = ["ParsedQuery", "parse_query", "build_plan", "FIELD_WEIGHTS", "Rewording", "ScoringPlan", "ScoringTerm",
           "TermGroup"]

# BM25F field weights: a word in the headline says far more about what an
# article is about than the same word deep in the body. Tuned on corpus C
# (bench/relevance.py): 5/2/1 beat 3/1.5/1 on known-item queries (+0.02
# MRR), equal on MDS.
FIELD_WEIGHTS = {"title": 5.0, "summary": 2.0, "body": 1.0}
# Added on top of the folded match for typed diacritics: enough to rank
# exact spellings first, not so much that one exact syllable outweighs the
# rest of the query (0.5 beat 1.0 on the MDS labels).
EXACT_WEIGHT = 0.5
PAIR_WEIGHT = 1.0  # adjacent-syllable (bigram / word) match
VARIANT_WEIGHT = 0.5  # another spelling of the typed syllable (sĩ for sỹ)
# Another form of an abbreviation or full form (cảnh sát giao thông for
# CSGT): found, but below the article that uses the reader's own wording.
ALTERNATIVE_WEIGHT = 0.5
MAX_TERMS = 32  # syllables per query that take part; the rest is ignored

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_SYLLABLE = re.compile(r"\w+")
_OPERATORS = {"AND", "OR", "&&", "||"}


@dataclass
class ParsedQuery:
    """Query parts as lists of lowercase, normalised syllables.

    ``words`` holds runs of adjacent syllables (punctuation between words
    ends a run), ``phrases`` the quoted phrases (required), ``excluded``
    the words and phrases that must not match.
    """

    words: list[list[str]] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[list[str]] = field(default_factory=list)
    cased_words: list[list[str]] = field(default_factory=list)  # ``words`` as typed

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.phrases

    def describe(self) -> str:
        show = lambda runs: ", ".join(" ".join(r) for r in runs)  # noqa: E731
        return f"words=[{show(self.words)}] phrases=[{show(self.phrases)}] excluded=[{show(self.excluded)}]"


def _syllables(text: str) -> list[list[str]]:
    """Runs of syllables, as typed; punctuation other than a hyphen inside
    a word breaks a run. Numbers, dates and URLs stay whole, as when
    indexing."""
    runs: list[list[str]] = [[]]
    for start, end, protected in split_protected(text):
        piece = text[start:end]
        if protected:
            runs[-1].append(piece)
            continue
        cursor = 0
        for match in _SYLLABLE.finditer(piece):
            gap = piece[cursor:match.start()]
            if gap.strip() and runs[-1]:
                runs.append([])
            runs[-1].append(match.group(0))
            cursor = match.end()
        if piece[cursor:].strip() and runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def parse_query(text: str) -> ParsedQuery:
    """Understand a raw query string (never raises)."""
    parsed = ParsedQuery()
    text = normalize_query(text).translate(_QUOTES)
    negate_next = False
    current: list[str] = []

    def flush() -> None:
        if current:
            parsed.cased_words.append(list(current))
            parsed.words.append([s.lower() for s in current])
            current.clear()

    for match in _TOKEN.finditer(text):
        minus, quoted, bare = match.groups()
        if quoted is not None:
            runs = _syllables(quoted)
            phrase = [s.lower() for run in runs for s in run]
            flush()
            if phrase:
                (parsed.excluded if minus or negate_next else parsed.phrases).append(phrase)
            negate_next = False
            continue
        if bare in _OPERATORS:
            continue
        if bare == "NOT":
            negate_next = True
            flush()
            continue
        if (bare.startswith("-") and len(bare) > 1) or negate_next:
            flush()
            excluded = [s.lower() for run in _syllables(bare.lstrip("-")) for s in run]
            if excluded:
                parsed.excluded.append(excluded)
            negate_next = False
            continue
        runs = _syllables(bare)
        for i, run in enumerate(runs):
            if i > 0:
                flush()
            current.extend(run)
        if bare and not bare[-1].isalnum() and bare[-1] not in "%":
            flush()  # "Hà Nội, Đà Nẵng": the comma ends the run
    flush()
    _cap_terms(parsed)
    return parsed


def _cap_terms(parsed: ParsedQuery) -> None:
    """Keep at most MAX_TERMS syllables: a pasted paragraph is not a query,
    and thousands of terms would cost seconds."""
    budget = MAX_TERMS
    for runs in (parsed.phrases, parsed.words, parsed.excluded):
        kept = []
        for run in runs:
            if budget <= 0:
                break
            kept.append(run[:budget])
            budget -= len(kept[-1])
        runs[:] = kept
    parsed.cased_words[:] = [cased[: len(run)] for cased, run in zip(parsed.cased_words, parsed.words)]


# -- the plan: what the scorer is given -------------------------------------


@dataclass(frozen=True)
class ScoringTerm:
    """One term the scorer looks up: in which field, and its weight there."""

    field: str
    text: str
    weight: float


@dataclass
class TermGroup:
    """Terms that stand for one query word (a syllable, exact and folded,
    in each field) or one adjacent pair. ``counts`` says whether the group
    is a word (coordination over words) or a pair (over pairs)."""

    terms: list[ScoringTerm]
    counts: bool = True
    common_probe: ScoringTerm | None = None  # its df decides "too common" and the word's coordination weight
    folded: str = ""  # a word's folded syllable (proximity leaves common ones out)
    at: tuple[int, int] = (0, 0)  # first and last query syllable it stands for, counted over words and phrases
    share: float = 1.0  # scales its weight in coordination (a rewording's other form counts as the typed one)


@dataclass
class ScoringPlan:
    """What a query becomes for ``scoring.Scorer``: the terms to score, the
    phrases to require or exclude, and the words that decide membership."""

    groups: list[TermGroup] = field(default_factory=list)
    required: list[list[str]] = field(default_factory=list)  # folded phrases every hit must hold
    excluded_words: list[str] = field(default_factory=list)  # accented words (as typed) no hit may hold in any text field
    excluded_phrases: list[list[str]] = field(default_factory=list)  # folded phrases no hit may hold
    runs: list[list[str]] = field(default_factory=list)  # folded syllables as typed, for proximity
    words: list[QueryWord] = field(default_factory=list)  # what decides membership (matching.py)


@dataclass
class Rewording:
    """The query written another way (``ở VN có`` as ``ở Việt Nam có``),
    scored as a query of its own (``Scorer.run``). ``span`` are the indices
    of ``plan.groups`` that write the other form; ``typed`` and ``other``
    are that form's runs of syllables as the reader typed them and as
    written here. Their scores alone set what the other form's terms weigh,
    so that an article writing it scores as the same article in the
    reader's wording would, times ``weight``."""

    plan: ScoringPlan
    weight: float
    span: list[int]
    typed: tuple[tuple[str, ...], ...]
    other: tuple[tuple[str, ...], ...]
    form: tuple[Unit, ...]  # the other form as the index's words: only the articles that hold it gain


def _accented(syllable: str) -> bool:
    return fold_term(syllable) != syllable


def _terms(suffix: str, text: str, weight: float) -> list[ScoringTerm]:
    return [ScoringTerm(name + suffix, text, w * weight) for name, w in FIELD_WEIGHTS.items()]


def _syllable_group(syllable: str, exact: bool) -> TermGroup:
    """A word's terms. When it is taken as typed (``exact``), its own
    frequency, not that of its folded form, says how common it is: folded,
    ``Nhật`` (Japan) is ``nhat``, as common as ``nhất`` (most). An i/y
    spelling variant (``sĩ`` for ``sỹ``) scores below the typed form."""
    plain = fold_term(syllable)
    terms = _terms("_f", plain, 1.0)
    probe = ScoringTerm("body_f", plain, 1.0)
    if exact:
        terms += _terms("", syllable, EXACT_WEIGHT)
        probe = ScoringTerm("body", syllable, 1.0)
    for variant in spelling_variants(syllable):
        terms += _terms("_f", fold_term(variant), VARIANT_WEIGHT)
    return TermGroup(terms, counts=True, common_probe=probe, folded=plain)


def _pair_group(first: str, second: str, exact: bool) -> TermGroup:
    terms = _terms("_f", fold_term(first) + JOINER + fold_term(second), PAIR_WEIGHT)
    if exact:
        terms += _terms("", first + JOINER + second, PAIR_WEIGHT * EXACT_WEIGHT)
    return TermGroup(terms, counts=False)


def _alternative_terms(readings) -> list[ScoringTerm]:
    """Terms for other forms of a query word (``reading.Alternative``):
    each form's folded syllables, or the bigrams of its words, weighing
    ``ALTERNATIVE_WEIGHT`` together (a long form does not outweigh the
    reader's own wording by having more words)."""
    terms = []
    for units in readings:
        texts = []
        for unit in units:
            folded = [fold_term(syllable) for syllable, _ in unit]
            texts += folded if len(folded) == 1 else [a + JOINER + b for a, b in zip(folded, folded[1:])]
        for text in texts:
            terms += _terms("_f", text, ALTERNATIVE_WEIGHT / len(texts))
    return terms


def build_plan(parsed: ParsedQuery, alternatives=()) -> ScoringPlan:
    """What to score, require and exclude for a parsed query.

    ``alternatives`` (``reading.Alternative``) add the other forms of the
    syllables they cover to each of those syllables' groups, so an article
    that writes ``CSGT`` for a query's ``cảnh sát giao thông`` holds every
    word of it, at a lower weight."""
    plan = ScoringPlan()
    runs = parsed.words + parsed.phrases
    # A query typed with diacritics is typed as meant, its plain syllables
    # too (``y``, ``Moscow``, ``U22``): all of them match exactly as well.
    # Without any, every syllable may stand for any accented form.
    exact = any(_accented(s) for run in runs for s in run)
    extra: dict[int, list[ScoringTerm]] = {}
    within: dict[int, list[ScoringTerm]] = {}  # pairs inside a span, by their first syllable
    for alternative in alternatives:
        terms = _alternative_terms(alternative.readings)
        for position in range(alternative.start, alternative.end):
            extra.setdefault(position, []).extend(terms)
            if position + 1 < alternative.end:
                within.setdefault(position, []).extend(terms)
    position = 0
    for run in runs:
        for offset, s in enumerate(run):
            group = _syllable_group(s, exact)
            group.terms.extend(extra.get(position + offset, ()))
            group.at = (position + offset, position + offset)
            plan.groups.append(group)
        for offset, (a, b) in enumerate(zip(run, run[1:])):
            group = _pair_group(a, b, exact)
            # An article that writes UBND holds the pairs of "ủy ban nhân
            # dân" as much as its words.
            group.terms.extend(within.get(position + offset, ()))
            group.at = (position + offset, position + offset + 1)
            plan.groups.append(group)
        position += len(run)
    plan.required = [[fold_term(s) for s in phrase] for phrase in parsed.phrases]
    plan.runs = [[fold_term(s) for s in run] for run in parsed.words + parsed.phrases]
    # An excluded word typed with accents excludes that spelling only; an
    # excluded phrase is matched without accents (exact fields keep no
    # positions).
    for words in parsed.excluded:
        if len(words) == 1 and _accented(words[0]):
            plan.excluded_words.append(words[0])
        else:
            plan.excluded_phrases.append([fold_term(s) for s in words])
    return plan
