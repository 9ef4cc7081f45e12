"""Abbreviations the articles define themselves: ``Ngân hàng Nhà nước (NHNN)``.

Vietnamese news spells an abbreviation out once, with the short form in
parentheses after it, or the other way round, and uses the short form from
then on. Counting those definitions over a collection teaches the search
engine a newsroom's own abbreviations (``CATP``, ``BQL``) without anyone
editing ``abbreviations.tsv``.

    >>> text = "Ủy ban nhân dân (UBND) tỉnh vừa họp với Sở Giáo dục và Đào tạo (GD&ĐT)."
    >>> list(mine_definitions(text))
    [('UBND', 'Ủy ban nhân dân'), ('GD&ĐT', 'Giáo dục và Đào tạo')]
    >>> list(mine_definitions("Mưa lớn gây ngập nhiều tuyến phố (ảnh), theo TTXVN (2017)."))
    []

The test is Schwartz & Hearst's ("A simple algorithm for identifying
abbreviation definitions in biomedical text", PSB 2003), made to fit
Vietnamese: every syllable of the long form gives its first letter (đ and d
match), in order, to the short form, with no letters taken from inside
syllables; a function word (``và``, ``của``) may give none; a word that is
itself an abbreviation (``TP`` in ``Công an TP Hà Nội (CATP)``) gives all
its letters; a capitalised place name may follow (``Ngân hàng Nhà nước
Việt Nam (NHNN)``). The long form holds at most min(|A| + 5, 2|A|) words
for a short form of |A| letters, and the shortest matching one wins.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

from vn_search.analysis.abbreviation_keys import ABBREVIATION_TOKEN, abbreviation_key, folded_words
from vn_search.analysis.abbreviation_meanings import FUNCTION_WORDS
from vn_search.analysis.fold import fold_text

__all__ = ["DefinitionCounts", "mine_definitions"]

# A parenthesis of at most a short clause.
_PARENTHESIS = re.compile(r"\(\s*([^()\n]{1,80}?)\s*\)")
# Where the sentence part holding a long form begins. Commas and spaced
# dashes do not end it: long forms hold them ("Văn hóa, Thể thao và Du
# lịch", "Lao động - Thương binh và Xã hội"); the word limit and the
# initials keep the match local.
_CLAUSE_BREAK = re.compile(r"[;:!?()\[\]\"“”'‘’\n…]|\.(?=\s|$)")
_WORD = re.compile(r"\w+(?:[.&'’-]\w+)*")
# Spaces around & and - inside a short form come from re-joined segmented
# text ("GD & ĐT").
_SPACED_JOINER = re.compile(r"\s*([&.\-])\s*")
# Words that may stand before a long form written in parentheses without a
# letter in the abbreviation: "GD&ĐT (Bộ Giáo dục và Đào tạo)".
_INSTITUTION_WORDS = frozenset({"bộ", "sở", "cục", "ban", "viện", "phòng", "trường", "đài", "hãng", "tổng"})
# "Theo Tuổi Trẻ (TT)", "Ảnh Hải An (HA)": a source credit abbreviated.
_CREDIT_WORDS = frozenset({"theo", "ảnh", "nguồn", "video", "clip"})
# A capitalised place name after the matched words: at most this many syllables.
_MAX_TRAILING_NAME = 3


def _elements(short_form: str) -> list[str] | None:
    """The letters (folded) and digit groups of a short form, in order:
    ``GD&ĐT`` → ``['g', 'd', 'd', 't']``, ``U23`` → ``['u', '23']``."""
    elements: list[str] = []
    for piece in re.findall(r"\d+|[^\W\d_]", short_form):
        if piece.isdigit():
            elements.append(piece)
        elif piece.isupper() or not elements:
            elements.append(fold_text(piece))
        else:
            return None  # lowercase letters inside: "Index", not an initialism
    return elements


def _short_form(text: str) -> tuple[str, list[str]] | None:
    """(compact spelling, elements) when ``text`` is one abbreviation."""
    compact = _SPACED_JOINER.sub(r"\1", text.strip())
    match = ABBREVIATION_TOKEN.fullmatch(compact)
    if match is None:
        return None
    capitals = sum(char.isupper() for char in compact)
    has_digit = any(char.isdigit() for char in compact)
    if not (2 <= capitals <= 10 or (capitals == 1 and has_digit)):
        return None
    elements = _elements(compact)
    if not elements or abbreviation_key(compact) is None:
        return None
    return compact, elements


@lru_cache(maxsize=65536)
def _word_options(word: str) -> tuple[tuple[str, ...], ...]:
    """The element sequences one long-form word can give."""
    if word.isdigit():
        return ((word,),)
    options = [(fold_text(word[0]),)]
    capitals = sum(char.isupper() for char in word)
    if capitals >= 2 or (capitals == 1 and word[0].isupper() and any(char.isdigit() for char in word)):
        inner = _elements(word)
        if inner and len(inner) > 1:
            options.insert(0, tuple(inner))  # TP gives t, p
    return tuple(options)


def _is_name_word(word: str) -> bool:
    """A syllable of a place or proper name (Hà, Nội), not an abbreviation
    (``đại biểu HĐND TP.HCM`` does not define ĐB as all of it)."""
    capitals = sum(char.isupper() for char in word)
    return word[0].isupper() and capitals == 1 and not any(char.isdigit() for char in word)


def _covers(words: list[str], elements: list[str], skippable_first: frozenset[str] = frozenset()) -> int | None:
    """How many leading words (from ``skippable_first``, lowercase) were
    skipped when ``elements`` are exactly the initials of the other
    ``words`` (function words may give none; a short place name may trail);
    None when they are not."""
    lowered = [word.lower() for word in words]

    def match(word_index: int, element_index: int) -> bool:
        if element_index == len(elements):
            rest = words[word_index:]
            return len(rest) <= _MAX_TRAILING_NAME and all(_is_name_word(w) for w in rest)
        if word_index == len(words):
            return False
        for option in _word_options(words[word_index]):
            if tuple(elements[element_index : element_index + len(option)]) == option:
                if match(word_index + 1, element_index + len(option)):
                    return True
        skippable = lowered[word_index] in FUNCTION_WORDS and element_index > 0
        return skippable and match(word_index + 1, element_index)

    skipped = 0
    while skipped < len(words):
        # The first word must give the first letter.
        for option in _word_options(words[skipped]):
            if tuple(elements[: len(option)]) == option and match(skipped + 1, len(option)):
                return skipped
        if lowered[skipped] not in skippable_first:
            return None
        skipped += 1
    return None


def _contains_short_form(tokens: list[str], elements: list[str]) -> bool:
    """"theo UBND (UBND)", "APEC (APEC App Challenge)": a long form that
    holds the abbreviation itself defines nothing."""
    return any(list(_word_options(token)[0]) == elements for token in tokens)


def _max_words(elements: list[str]) -> int:
    letters = len(elements)
    return min(letters + 5, letters * 2)


def _definition_before(text: str, paren_start: int, short: str, elements: list[str]) -> str | None:
    """The shortest run of words ending just before ``(`` whose initials spell
    the short form."""
    clause_start = 0
    for brk in _CLAUSE_BREAK.finditer(text, max(0, paren_start - 200), paren_start):
        clause_start = brk.end()
    words = list(_WORD.finditer(text, clause_start, paren_start))[-_max_words(elements) :]
    tokens = [m.group() for m in words]
    if _contains_short_form(tokens, elements):
        return None
    for start in range(len(tokens) - 1, -1, -1):
        candidate = tokens[start:]
        if len(candidate) < 2:
            continue  # one word spells nothing out
        if candidate[0].lower() in _CREDIT_WORDS:
            continue  # "Theo HTV (TH)": a credit line, not a definition
        if _covers(candidate, elements) == 0:
            return text[words[start].start() : words[-1].end()]
    return None


def _definition_inside(inner: str, elements: list[str]) -> str | None:
    """The long form written in the parentheses after a short form."""
    if ":" in inner:
        return None  # "(Ảnh: TTXVN)"
    if any(char.isdigit() for char in inner) and not any(element.isdigit() for element in elements):
        return None  # "(SN 1980)", "(2017)"
    words = list(_WORD.finditer(inner))
    if not words or len(words) > _max_words(elements) + 1:
        return None
    tokens = [m.group() for m in words]
    if _contains_short_form(tokens, elements):
        return None
    skipped = _covers(tokens, elements, _INSTITUTION_WORDS)
    if skipped is None or len(tokens) - skipped < 2:
        return None
    return inner[words[skipped].start() : words[-1].end()]


def mine_definitions(text: str) -> Iterator[tuple[str, str]]:
    """Yield (short form as written, long form as written) for every
    ``long form (SF)`` and ``SF (long form)`` in ``text``.

    >>> list(mine_definitions("NHNN (Ngân hàng Nhà nước) và Công an TP Hà Nội (CATP) cho biết"))
    [('NHNN', 'Ngân hàng Nhà nước'), ('CATP', 'Công an TP Hà Nội')]
    """
    if not text or "(" not in text:
        return
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    for paren in _PARENTHESIS.finditer(text):
        inner = paren.group(1)
        short = _short_form(inner)
        if short is not None:
            definition = _definition_before(text, paren.start(), *short)
            if definition:
                yield short[0], definition
            continue
        # "SF (long form)": the abbreviation right before the parenthesis.
        before = text[max(0, paren.start() - 30) : paren.start()].rstrip()
        previous = list(ABBREVIATION_TOKEN.finditer(before))
        if not previous or previous[-1].end() != len(before):
            continue
        short = _short_form(previous[-1].group())
        if short is not None:
            definition = _definition_inside(inner, short[1])
            if definition:
                yield short[0], definition


def _most_common(spellings: Counter[str]) -> str:
    """The most frequent spelling; ties go to the smallest, so a count read
    back from JSON shows what it showed before it was saved."""
    return min(spellings.items(), key=lambda item: (-item[1], item[0]))[0]


class DefinitionCounts:
    """How many documents defined each abbreviation each way.

    Keys are :func:`abbreviation_key`; definitions are compared folded
    (``Uỷ ban nhân dân`` and ``Ủy ban Nhân dân`` are one), and each keeps
    the spellings it was written with, to show the most common.

    >>> counts = DefinitionCounts()
    >>> for text in ["Ngân hàng Nhà nước (NHNN) cho biết", "NHNN (Ngân hàng Nhà nước) yêu cầu"]:
    ...     _ = counts.add(text)
    >>> counts.definitions("NHNN")
    [('Ngân hàng Nhà nước', 2)]
    """

    FORMAT = "vn-search-abbreviation-definitions"
    VERSION = 1

    def __init__(self) -> None:
        # key -> folded definition -> spelling -> documents
        self._definitions: dict[str, dict[str, Counter[str]]] = {}
        # key -> short-form spelling -> documents
        self._short_forms: dict[str, Counter[str]] = {}

    def add(self, text: str) -> int:
        """Count the definitions in one document (each once, however often
        the document repeats it); returns how many distinct ones it had."""
        seen: set[tuple[str, str]] = set()
        for short, definition in mine_definitions(text):
            key = abbreviation_key(short)
            folded = folded_words(definition)
            if not key or not folded or (key, folded) in seen:
                continue
            seen.add((key, folded))
            self._definitions.setdefault(key, {}).setdefault(folded, Counter())[definition] += 1
            self._short_forms.setdefault(key, Counter())[short] += 1
        return len(seen)

    def merge(self, other: DefinitionCounts) -> DefinitionCounts:
        """Add another collection's counts into this one (indexing workers)."""
        for key, by_folded in other._definitions.items():
            mine = self._definitions.setdefault(key, {})
            for folded, spellings in by_folded.items():
                mine.setdefault(folded, Counter()).update(spellings)
        for key, spellings in other._short_forms.items():
            self._short_forms.setdefault(key, Counter()).update(spellings)
        return self

    def __len__(self) -> int:
        return sum(len(by_folded) for by_folded in self._definitions.values())

    def keys(self) -> list[str]:
        """Keys with at least one definition."""
        return list(self._definitions)

    def _key(self, abbreviation: str) -> str:
        if abbreviation in self._definitions:
            return abbreviation
        return abbreviation_key(abbreviation) or abbreviation

    def definitions(self, abbreviation: str, min_count: int = 2) -> list[tuple[str, int]]:
        """(most common spelling, documents) of each definition seen at
        least ``min_count`` times, most frequent first; ``abbreviation`` is a
        key or any spelling."""
        by_folded = self._definitions.get(self._key(abbreviation), {})
        found = [(_most_common(spellings), sum(spellings.values())) for spellings in by_folded.values()]
        frequent = [(text, count) for text, count in found if count >= min_count]
        return sorted(frequent, key=lambda item: (-item[1], item[0]))

    def abbreviation_spelling(self, abbreviation: str) -> str | None:
        """The short form as the collection most often writes it."""
        spellings = self._short_forms.get(self._key(abbreviation))
        return _most_common(spellings) if spellings else None

    def as_learned(self, min_count: int = 2) -> dict[str, dict[str, int]]:
        """key -> definition -> documents, the form ``choose_expansions`` and
        ``AbbreviationTable.find_spans`` take as ``learned``."""
        learned: dict[str, dict[str, int]] = {}
        for key in self._definitions:
            found = self.definitions(key, min_count)
            if found:
                learned[key] = dict(found)
        return learned

    def to_json(self) -> str:
        """Plain JSON, to keep beside the index."""
        return json.dumps(
            {
                "format": self.FORMAT,
                "version": self.VERSION,
                "abbreviations": {
                    key: {
                        "short_forms": dict(self._short_forms.get(key, {})),
                        "definitions": {folded: dict(spellings) for folded, spellings in by_folded.items()},
                    }
                    for key, by_folded in sorted(self._definitions.items())
                },
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str, source: str = "<json>") -> DefinitionCounts:
        """Read what :meth:`to_json` wrote; ``source`` names it in errors."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{source}:{error.lineno}: not JSON ({error.msg})") from None
        if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
            raise ValueError(f"{source}: expected a {cls.FORMAT!r} document")
        if data.get("version") != cls.VERSION:
            found = data.get("version")
            raise ValueError(f"{source}: version {found!r}, this vn-search reads version {cls.VERSION}")
        counts = cls()
        for key, record in data.get("abbreviations", {}).items():
            try:
                counts._short_forms[key] = Counter({s: int(n) for s, n in record["short_forms"].items()})
                counts._definitions[key] = {
                    folded: Counter({s: int(n) for s, n in spellings.items()})
                    for folded, spellings in record["definitions"].items()
                }
            except (KeyError, TypeError, ValueError, AttributeError):
                raise ValueError(
                    f"{source}: abbreviation {key!r} should hold short_forms and definitions counts"
                ) from None
        return counts
