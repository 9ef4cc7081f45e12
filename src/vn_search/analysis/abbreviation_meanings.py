"""What an ambiguous abbreviation means here: ``ĐT`` is đội tuyển, điện thoại or đào tạo.

Expanding an abbreviation to the wrong meaning finds the wrong articles, so
a meaning is chosen only on evidence: a cue word in the rest of the query,
the way the abbreviation was typed, or a meaning the collection's own
articles define far more often than any other. Without evidence nothing is
chosen; the table order and corpus-wide frequency are never a reason.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from vn_search.analysis.abbreviation_keys import folded_words

if TYPE_CHECKING:  # the table imports this module; these names are only annotations here
    from vn_search.analysis.abbreviations import AbbreviationEntry, Learned

__all__ = ["FUNCTION_WORDS", "choose_expansions"]

_WORD = re.compile(r"\w+")

# Learned definitions decide on their own only when one meaning has been
# written out this often, and makes up this share of all the definitions.
_LEARNED_MIN_COUNT = 3
_LEARNED_SHARE = 0.9
# Words an expansion may hold that have no letter in the abbreviation
# (lowercase, accented: folded, "tại" would also pass "tải").
FUNCTION_WORDS = frozenset({"và", "của", "các", "với", "cho", "về", "ở", "tại", "thuộc", "trong", "là"})


def _initials_allow(spelling: str, expansion: str) -> bool:
    """False when the abbreviation was typed with Đ where the expansion's
    word starts with a plain d (NĐT is nhà đầu tư, never nhân dân tệ). A
    plain D proves nothing: many type D for Đ."""
    letters = [char for char in unicodedata.normalize("NFC", spelling).lower() if char.isalpha()]
    if "đ" not in letters:
        return True
    words = _WORD.findall(unicodedata.normalize("NFC", expansion).lower())
    if len(words) != len(letters):
        words = [word for word in words if word not in FUNCTION_WORDS]
    if len(words) != len(letters):
        return True  # cannot align letters with words: no evidence
    return all(letter != "đ" or word.startswith("đ") for letter, word in zip(letters, words))


def _learned_counts(entry: AbbreviationEntry, learned: Learned | None) -> dict[str, tuple[str, int]]:
    """Folded definition -> (a spelling, count) for the entry's key."""
    grouped: dict[str, tuple[str, int]] = {}
    for definition, count in ((learned or {}).get(entry.key) or {}).items():
        folded = folded_words(definition)
        spelling, total = grouped.get(folded, (definition, 0))
        grouped[folded] = (spelling, total + count)
    return grouped


def choose_expansions(
    entry: AbbreviationEntry,
    context_syllables: list[str],
    learned: Learned | None = None,
    *,
    spelling: str | None = None,
) -> list[str]:
    """The expansions the context supports; ``[]`` when nothing decides.

    An unambiguous entry keeps all its expansions. For an ambiguous one a
    meaning needs evidence: one of its cue words in the context, the way the
    abbreviation was typed (``NĐT`` cannot be nhân dân tệ), or - with no
    cue at all - ``learned`` definition counts (key -> definition -> count,
    mined from the collection) where one meaning dominates. Never guess
    from the table order or the corpus-wide frequency.

    >>> from vn_search.analysis.abbreviations import default_table
    >>> qh = default_table().lookup("QH")
    >>> choose_expansions(qh, ["khóa", "XV"]), choose_expansions(qh, ["đất", "đô", "thị"])
    (['Quốc hội'], ['quy hoạch'])
    >>> choose_expansions(qh, ["năm", "2017"])
    []
    """
    if not entry.ambiguous:
        return list(entry.expansions)
    learned_counts = _learned_counts(entry, learned)
    known = {folded_words(expansion) for expansion in entry.expansions}
    candidates = list(entry.expansions)
    candidates += [text for folded, (text, _) in learned_counts.items() if folded not in known]
    typed_away = False
    if spelling:
        allowed = [candidate for candidate in candidates if _initials_allow(spelling, candidate)]
        typed_away = len(allowed) < len(candidates)
        candidates = allowed
    if not candidates:
        return []

    def learned_support(candidate: str) -> int:
        return learned_counts.get(folded_words(candidate), ("", 0))[1]

    context = f" {folded_words(' '.join(context_syllables))} "
    scores = {}
    for candidate in candidates:
        cues = {folded_words(candidate), *entry.cues_for(candidate)}
        scores[candidate] = sum(f" {cue} " in context for cue in cues)
    best = max(scores.values())
    if best > 0:
        chosen = [candidate for candidate in candidates if scores[candidate] == best]
        support = sorted(((learned_support(c), c) for c in chosen), reverse=True)
        if len(chosen) > 1 and support[0][0] > support[1][0]:
            return [support[0][1]]  # the collection breaks the tie
        return chosen
    if typed_away and len(candidates) == 1:
        return candidates  # the spelling left one meaning
    total = sum(learned_support(candidate) for candidate in candidates)
    top = max(candidates, key=learned_support)
    if learned_support(top) >= max(_LEARNED_MIN_COUNT, _LEARNED_SHARE * total):
        return [top]
    return []
