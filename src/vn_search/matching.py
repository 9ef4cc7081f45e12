"""Which documents a query finds: the result set a reader means.

Ranking (``scoring.py``) decides the order; this module decides membership,
the same set for every sort order, page and count. A query is read as
*words* — pyvi words, so ``tai nan giao thong`` is the two words
``tai_nạn giao_thông``, not four syllables that may stand anywhere — and a
document is in the set when it holds every *informative* word:

- a word matches in any accepted reading: with its diacritics when typed
  with them, folded when typed without (``ha noi`` is the word *hà_nội*,
  never "nói … nội dung"), and an i/y spelling variant (``sỹ``/``sĩ``);
- a word found in a large share of the documents (của, người, năm) does not
  decide membership; it still ranks. A query made only of such words needs
  them all;
- a long query (``LONG_QUERY`` informative words or more) may miss one,
  but not its rarest: a news headline rarely repeats a reader's every
  word, but the name or place that makes the query specific it has;
- when fewer than ``MIN_RESULTS`` documents qualify (none, for a short
  query), one more word may be missing, a step at a time, and the
  results say so;
- a document the ranking scores close to the best member joins it
  (``scoring.NEAR_BEST``), if it holds the query's rarest name: a headline
  may word the story otherwise, but a drone strike in Iraq is no answer to
  one in Syria.

    >>> words = query_words([["hà", "nội"]], [["Hà", "Nội"]], lambda a, b: True, None)
    >>> [w.shown for w in words], words[0].readings[0]
    (['Hà Nội'], ((('hà', True), ('nội', True)),))

Unaccented runs are grouped into words through their restored reading (the
accent model's, as the suggestion offers it): pyvi cannot segment text
without diacritics. A pair pyvi joins is kept as one word only where the
corpus has it inside a word (``is_word_pair``), so a wrong merge of a
query's name with the next word cannot empty the result set.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from vn_search.analysis.segment import segment
from vn_search.analysis.terms import fold_term

__all__ = ["QueryWord", "Membership", "query_words", "members", "as_syllables", "as_the_articles_write",
           "read_as_the_articles_write", "documents_needed", "unaccented_notice", "MIN_RESULTS", "LONG_QUERY", "WRONG_ACCENTS"]

# Relax a long query when fewer documents than this qualify: a reader
# should see a few results when the corpus has near misses. Chosen on
# corpus C's MDS labels with an ad-hoc simulation (5 kept junk@10 under
# date sort at 0.036, 10 let it reach 0.07); bench/relevance.py now gives
# junk@10 0.026 / 0.046 (accented / not) and 0.87 of each story's articles
# in the set.
MIN_RESULTS = 5
# From this many informative words on, a document may miss one of them
# (MDS labels, recall in set: 0.66 with strict matching).
LONG_QUERY = 4
# Two syllables the articles put side by side with the accents typed fewer
# than this share of the times (the accent model's counts) are a slip:
# "triều tiền" 0.01% of Triều Tiên's, "hà nôi" 0.02% on corpus C. Correct
# pairs are far above: "nam thắng" (Việt Nam thắng) 12%, "ân khách" (tri
# ân khách hàng) 11%, beside "năm tháng" and "ăn khách".
WRONG_ACCENTS = 0.01

# (syllable, exact): exact syllables match with their diacritics, the
# others folded.
Syllable = tuple[str, bool]
Unit = tuple[Syllable, ...]  # one word: its syllables stand together
Reading = tuple[Unit, ...]  # a way to write the query word: all its units


@dataclass(frozen=True)
class QueryWord:
    """One word of the query and the ways a document may hold it.

    ``readings[0]`` is the word as typed; later readings are alternatives
    (spelling variants), scored below it.
    """

    shown: str
    readings: tuple[Reading, ...]
    name: bool = False  # a name (a country, a person, an organisation), by how it is written

    @property
    def units(self) -> list[Unit]:
        return [unit for reading in self.readings for unit in reading]


@dataclass(frozen=True)
class Membership:
    """The result set: which documents, and how strict the rule was."""

    mask: np.ndarray
    common: tuple[bool, ...]  # per query word: too common to decide alone
    informative: int  # words that decide membership
    missing: int  # how many of them a member may lack
    relaxed: bool  # ``missing`` was raised because too few qualified
    strict_count: int  # documents holding every informative word
    as_syllables: bool = False  # no document held the words as words
    rarest: np.ndarray | None = None  # documents holding the rarest deciding word (of two or more)
    rarest_name: np.ndarray | None = None  # the same for the rarest deciding name


def documents_needed(at_most: int, documents: int, per: int) -> int:
    """How many documents make a word one the articles use: ``at_most``,
    but one more per ``per`` documents of the index below that, since a
    small index has seen each word a few times at most."""
    return min(at_most, 1 + documents // per)


_IY_SWAP = {"i": "y", "y": "i"}
# Onsets after which final i and y are the same vowel in two spellings
# (sĩ/sỹ, kĩ/kỹ, lí/lý, mĩ/mỹ, tí/tý, hi/hy); after qu- and in
# diphthongs they differ.
_IY_ONSETS = {"s", "k", "l", "m", "t", "h", "ph", "th", "ch"}


def spelling_variants(syllable: str) -> list[str]:
    """The i/y twin of a syllable written both ways in Vietnamese
    news (``sỹ`` → ``sĩ``), else nothing."""
    if not syllable:
        return []
    last = unicodedata.normalize("NFD", syllable[-1])
    if last[0] not in _IY_SWAP or fold_term(syllable[:-1]) not in _IY_ONSETS:
        return []
    return [syllable[:-1] + unicodedata.normalize("NFC", _IY_SWAP[last[0]] + last[1:])]


def _units(cased: list[str], lower: list[str], reading: str | None, is_word_pair: Callable[[str, str], bool]) -> list[list[int]]:
    """Index groups of a run's syllables that form words: pyvi's words
    over ``reading`` (the run with its accents restored, or as typed),
    split wherever the corpus never has the pair inside a word."""
    text = reading if reading is not None else " ".join(cased)
    sizes = [len(word.syllables) for word in segment(text) if any(c.isalnum() for c in word.text)]
    if sum(sizes) != len(lower):  # restoration changed the syllables: one word each
        sizes = [1] * len(lower)
    groups, start = [], 0
    for size in sizes:
        group = [start]
        for i in range(start + 1, start + size):
            if is_word_pair(fold_term(lower[i - 1]), fold_term(lower[i])):
                group.append(i)
            else:
                groups.append(group)
                group = [i]
        groups.append(group)
        start += size
    return groups


def query_words(
    runs: list[list[str]],
    cased_runs: list[list[str]],
    is_word_pair: Callable[[str, str], bool],
    restore: Callable[[str], str] | None,
    alternatives: Sequence = (),
    capital_share: Callable[[str], float] | None = None,
) -> list[QueryWord]:
    """The words of a query's runs of syllables (lowercase, and as typed).

    A syllable typed with diacritics is matched with them. In a query
    typed with some diacritics, a plain syllable the accent model would
    leave plain (``Moscow``, ``U22``, ``Kim``) is meant as typed too; one it
    would restore (``hom`` in ``giá vàng hom nay``) is matched folded.
    ``alternatives`` (``reading.Alternative``: syllables ``start:end``,
    counted over all runs, with other ways to write them) turn the words
    they cover into one word with those readings too. A word the reader
    capitalised (not as the query's first word), or a one-syllable word
    the articles mostly capitalise (``capital_share``: ``campuchia``,
    ``syria``), is a ``name``.
    """

    def is_name(syllables: list[str], first: bool) -> bool:
        # The query's first word is capitalised as a sentence is: only how
        # the articles write it says whether it is a name; and only for one
        # syllable (campuchia), since a pair the articles capitalise (thanh
        # of Thanh Hóa, Nguyễn Thanh) is as often two words of a headline.
        if not first and all(s[:1].isupper() for s in syllables):
            return True
        return capital_share is not None and len(syllables) == 1 and capital_share(syllables[0].lower()) > 0.5

    accented_query = any(fold_term(s) != s for run in runs for s in run)
    words: list[QueryWord] = []
    spans: list[tuple[int, int]] = []  # each word's syllables, counted over all runs
    offset = 0
    for run, cased in zip(runs, cased_runs):
        typed = " ".join(cased)
        restored = restore(typed) if restore is not None and any(fold_term(s) == s for s in run) else None
        if restored is not None and len(restored.split()) != len(run):
            restored = None
        restored_lower = restored.lower().split() if restored is not None else run
        exact = [fold_term(s) != s or (accented_query and restored_lower[i] == s) for i, s in enumerate(run)]
        reading = restored if restored is not None else typed
        if capital_share is not None and accented_query:
            # pyvi joins proper nouns only when they are capitalised (Việt_Nam,
            # not "việt nam"): show it the capitals the articles use.
            reading = " ".join(w[:1].upper() + w[1:] if w.islower() and capital_share(w.lower()) > 0.5 else w
                               for w in reading.split())
        for group in _units(cased, run, reading, is_word_pair):
            unit = tuple((run[i], exact[i]) for i in group)
            readings = [(unit,)]
            if len(unit) == 1:
                syllable, is_exact = unit[0]
                readings += [(((variant, is_exact),),) for variant in spelling_variants(syllable)]
            words.append(QueryWord(" ".join(cased[i] for i in group), tuple(readings),
                                   is_name([(restored.split() if restored else cased)[i] for i in group],
                                           first=not words and group[0] == 0)))
            spans.append((offset + group[0], offset + group[-1] + 1))
        offset += len(run)
    for alternative in alternatives:
        covered = [i for i, (start, end) in enumerate(spans) if alternative.start <= start and end <= alternative.end]
        if not covered or spans[covered[0]][0] != alternative.start or spans[covered[-1]][1] != alternative.end:
            continue  # the span cuts a word: not the same thing
        typed = tuple(unit for i in covered for unit in words[i].readings[0])
        merged = QueryWord(" ".join(words[i].shown for i in covered), (typed, *alternative.readings),
                           all(words[i].name for i in covered))
        words[covered[0]:covered[-1] + 1] = [merged]
        spans[covered[0]:covered[-1] + 1] = [(alternative.start, alternative.end)]
    return words


def as_the_articles_write(word: QueryWord, pair_share: Callable[[str, str], float | None] | None) -> QueryWord:
    """``word``, with the accents of a word of two or more syllables
    dropped where the articles almost never write it so: of the times they
    put two of its syllables side by side, fewer than ``WRONG_ACCENTS``
    with the accents typed (``pair_share``, the accent model's). The reader
    meant the word (``Triều Tiền`` is *Triều Tiên*). A one-syllable word
    keeps its accents: ``nôi`` is a word of its own, not a slip for
    ``nội``."""
    if pair_share is None:
        return word
    readings, changed = [], False
    for reading in word.readings:
        units = []
        for unit in reading:
            if any(exact for _, exact in unit) and any(
                    (share := pair_share(first, second)) is not None and share < WRONG_ACCENTS
                    for (first, _), (second, _) in zip(unit, unit[1:])):
                unit, changed = tuple((syllable, False) for syllable, _ in unit), True
            units.append(unit)
        readings.append(tuple(units))
    return replace(word, readings=tuple(readings)) if changed else word


def read_as_the_articles_write(
    words: list[QueryWord], pair_share: Callable[[str, str], float | None] | None,
) -> tuple[list[QueryWord], tuple[str, ...]]:
    """:func:`as_the_articles_write` for each of a query's words, and which
    of them (as shown) were held without their accents, for the notice."""
    read = [as_the_articles_write(word, pair_share) for word in words]
    return read, tuple(word.shown for word, held in zip(words, read) if held is not word)


def unaccented_notice(shown: Sequence[str]) -> str:
    """What a reader is told when words were held without the accents typed
    (:func:`as_the_articles_write`)."""
    words = ", ".join(f"«{word}»" for word in shown)
    return f"Hầu như không bài nào viết {words} với dấu như vậy; đang tìm không phân biệt dấu."


def as_syllables(words: list[QueryWord]) -> list[QueryWord]:
    """The words as typed, one syllable each: the last step of relaxing,
    for a query whose syllables a document holds but not side by side
    (a reader's few remembered words of a headline: ``Hoà niên của từ``)."""
    split = []
    for word in words:
        for unit in word.readings[0]:
            for syllable, exact in unit:
                readings = [(((syllable, exact),),)] + [(((v, exact),),) for v in spelling_variants(syllable)]
                split.append(QueryWord(syllable, tuple(readings)))
    return split


def members(
    word_masks: list[np.ndarray],
    common: list[bool],
    allowed: np.ndarray,
    min_results: int = MIN_RESULTS,
    phrases: bool = False,
    can_decide: list[bool] | None = None,
    names: list[bool] | None = None,
) -> Membership:
    """The result set over ``allowed`` documents (live, filtered): every
    informative word (``common`` marks the others); in a long query one
    may be missing, but never the rarest (``Campuchia`` in ``phe đối lập
    Campuchia biểu tình``: protests elsewhere are not what was asked);
    more missing, a step at a time, while fewer than ``min_results``
    qualify (none, for a short query), up to half the words of a long
    query. ``rarest_name`` (of ``names``) is what a document admitted for
    its score alone must hold (``Scorer.run``). With quoted ``phrases`` (already required in ``allowed``)
    every word may go: the phrase is the query's core. The set is only
    widened (``relaxed``) when that adds documents. ``can_decide`` marks
    the words that may be the rarest: not a number or date (written many
    ways: 10/2013, tháng 10 năm 2013) and not a word so rare it is
    likely a typo (Triểu lãm)."""
    common = tuple(common)
    flags = list(zip(word_masks, can_decide or [True] * len(word_masks), names or [False] * len(word_masks)))
    pairs = [flag for flag, is_common in zip(flags, common) if not is_common] or flags
    deciding = [mask for mask, _, _ in pairs]
    if not deciding:
        return Membership(allowed.copy(), common, 0, 0, False, int(allowed.sum()))
    held = np.zeros(len(allowed), np.int16)
    for mask in deciding:
        held += mask
    held[~allowed] = -1
    count = len(deciding)
    candidates = [mask for mask, ok, _ in pairs if ok]
    rarest = min(candidates, key=lambda mask: int(mask.sum())) if candidates else np.ones(len(allowed), bool)
    name_masks = [mask for mask, ok, name in pairs if ok and name]
    rarest_name = min(name_masks, key=lambda mask: int(mask.sum())) if name_masks and len(deciding) > 1 else None
    strict = int((held >= count).sum())
    long_query = count >= LONG_QUERY
    # What a member of a long query lacking words must still hold: its
    # rarest word; with a quoted phrase, the phrase. (Keeping the rarest
    # name in short queries too lost MDS labels whose articles spell the
    # name otherwise: Moscow / Moskva.)
    kept = rarest if long_query and not phrases else None

    def holding(missing: int) -> np.ndarray:
        in_set = held >= count - missing
        return in_set & kept if missing and kept is not None else in_set

    missing = 1 if long_query else 0
    in_set = holding(missing)
    first_size = int(in_set.sum())
    # A short query (``Hạ Long``) with a few exact results shows just those;
    # a long one is widened to at most half its words missing.
    enough, most_missing = (min_results, count // 2) if long_query else (1, count - 1)
    if phrases:
        most_missing = count
    widened, widened_missing = in_set, missing
    while widened_missing < most_missing and int(widened.sum()) < enough:
        widened_missing += 1
        widened = holding(widened_missing)
    relaxed = int(widened.sum()) > first_size  # only a wider set is worth saying so
    if relaxed:
        in_set, missing = widened, widened_missing
    return Membership(in_set, common, count, missing, relaxed, strict,
                      rarest=rarest if count > 1 and candidates else None, rarest_name=rarest_name)
