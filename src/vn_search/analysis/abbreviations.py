"""Vietnamese news abbreviations, both ways: ``UBND`` ↔ ``Ủy ban nhân dân``.

Articles write ``TP.HCM``, ``TP HCM`` or ``Thành phố Hồ Chí Minh``; readers
type ``tphcm``, ``tp hcm`` or ``thanh pho ho chi minh``. This module holds
the curated table (``data/abbreviations.tsv``), looks it up in both
directions and finds abbreviations and full forms in a query. Every
spelling becomes one key in ``abbreviation_keys.py``; what an ambiguous
abbreviation (``ĐT``: đội tuyển, điện thoại, đào tạo) means is decided from
context only, in ``abbreviation_meanings.py``.

    >>> abbreviation_key("TP. HCM"), abbreviation_key("gd&dt"), abbreviation_key("Hà Nội")
    ('tphcm', 'gddt', None)
    >>> default_table().lookup("csgt").expansions
    ('cảnh sát giao thông',)
    >>> [entry.abbreviation for entry in default_table().abbreviations_for("Uỷ ban nhân dân")]
    ['UBND']

Definitions the articles give themselves (``Ngân hàng Nhà nước (NHNN)``) are
mined by :mod:`vn_search.analysis.abbreviation_mining`, so a newsroom's own
abbreviations work without editing the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

from vn_search.analysis.abbreviation_keys import abbreviation_key, cached_abbreviation_key, folded_words
from vn_search.analysis.abbreviation_meanings import choose_expansions

__all__ = [
    "AbbreviationEntry",
    "AbbreviationTable",
    "Learned",
    "LearnedDefinitions",
    "Span",
    "TableError",
    "default_table",
]

#: Definitions mined from a collection: key -> definition -> documents
#: (``DefinitionCounts.as_learned()``).
Learned = Mapping[str, Mapping[str, int]]

_COLUMNS = ["abbreviation", "expansions", "kind", "ambiguous", "docs"]
_CUE_COLUMNS = ["abbreviation", "expansion", "cues"]
_KINDS = ("abbr", "alias")
_LIST_SEPARATOR = " | "


@dataclass(frozen=True)
class AbbreviationEntry:
    """One row of the table: an abbreviation (or alias) and what it stands for."""

    abbreviation: str  # display form: TP.HCM, or the alias itself: Sài Gòn
    expansions: tuple[str, ...]  # full forms in normal capitalisation
    kind: str  # "abbr", or "alias" (another name; expands one way only)
    ambiguous: bool  # expansions are different meanings, decided by context
    docs: int  # articles of the shared corpora containing it (learned: defining it)
    key: str  # abbreviation_key(abbreviation); for aliases, its folded words
    cues: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), compare=False)

    def cues_for(self, expansion: str) -> tuple[str, ...]:
        """Folded context words that point to ``expansion``."""
        for candidate, cues in self.cues:
            if candidate == expansion:
                return cues
        return ()


@dataclass(frozen=True)
class Span:
    """Syllables ``start:end`` of a query are one thing the table knows,
    typed one way; ``forms`` are the other ways to write it.

    ``typed`` is ``"abbreviation"`` (``csgt``), ``"expansion"`` (``cảnh sát
    giao thông``) or ``"alias"`` (``Sài Gòn``). For an ambiguous abbreviation
    ``forms`` holds only the meanings the rest of the query supports (maybe
    none); for the full form of an ambiguous one, ``ambiguous`` warns that
    the abbreviation also means other things in articles.
    """

    start: int
    end: int
    key: str
    typed: str
    forms: tuple[str, ...]
    ambiguous: bool = False


class TableError(ValueError):
    """The TSV is not what the loader expects; the message names file and line."""


def _parse_rows(text: str, source: str, columns: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each data row, after checking the header."""
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if not header_seen:
            if cells != columns:
                expected = "<TAB>".join(columns)
                raise TableError(f"{source}:{number}: expected the header {expected!r}, found {line!r}")
            header_seen = True
            continue
        if len(cells) != len(columns):
            raise TableError(
                f"{source}:{number}: expected {len(columns)} tab-separated columns, found {len(cells)}"
            )
        yield number, [cell.strip() for cell in cells]
    if not header_seen:
        raise TableError(f"{source}: no header row {'<TAB>'.join(columns)!r}")


class AbbreviationTable:
    """Abbreviations and their full forms, looked up either way.

    Build one with :func:`default_table` (the bundled TSV) or
    :meth:`from_files`; extend it with a newsroom's mined definitions with
    :meth:`with_learned`.
    """

    def __init__(self, entries: list[AbbreviationEntry]) -> None:
        self._by_key: dict[str, AbbreviationEntry] = {}
        for entry in entries:
            if entry.key in self._by_key:
                first = self._by_key[entry.key].abbreviation
                raise TableError(f"two entries with the key {entry.key!r}: {first!r} and {entry.abbreviation!r}")
            self._by_key[entry.key] = entry
        # Folded full form -> entries it stands for (aliases included: their
        # own name is a "full form" that expands to their targets).
        self._by_full_form: dict[str, list[AbbreviationEntry]] = {}
        for entry in sorted(self._by_key.values(), key=lambda e: -e.docs):
            names = [entry.abbreviation] if entry.kind == "alias" else list(entry.expansions)
            for name in names:
                folded = folded_words(name)
                if folded and entry not in self._by_full_form.setdefault(folded, []):
                    self._by_full_form[folded].append(entry)
        # First folded syllable -> full forms starting with it, longest first.
        self._by_first_word: dict[str, list[tuple[str, ...]]] = {}
        for folded in self._by_full_form:
            words = tuple(folded.split())
            self._by_first_word.setdefault(words[0], []).append(words)
        for candidates in self._by_first_word.values():
            candidates.sort(key=len, reverse=True)

    # -- loading -----------------------------------------------------------

    @classmethod
    def parse(
        cls, text: str, source: str = "<table>", cues_text: str | None = None, cues_source: str = "<cues>"
    ) -> AbbreviationTable:
        """Read the table TSV (and the optional cue TSV) from strings;
        ``source`` names them in errors."""
        entries: dict[str, AbbreviationEntry] = {}
        lines: dict[str, int] = {}
        for number, (abbreviation, expansions, kind, ambiguous, docs) in _parse_rows(text, source, _COLUMNS):
            where = f"{source}:{number}"
            if kind not in _KINDS:
                raise TableError(f"{where}: kind must be one of {_KINDS}, found {kind!r}")
            if ambiguous not in ("yes", "no"):
                raise TableError(f"{where}: ambiguous must be yes or no, found {ambiguous!r}")
            if not docs.isdigit():
                raise TableError(f"{where}: docs must be a count, found {docs!r}")
            forms = tuple(form.strip() for form in expansions.split(_LIST_SEPARATOR.strip()) if form.strip())
            if not forms:
                raise TableError(f"{where}: no expansion for {abbreviation!r}")
            if ambiguous == "yes" and len(forms) < 2:
                raise TableError(f"{where}: {abbreviation!r} is marked ambiguous but has one expansion")
            key = abbreviation_key(abbreviation) if kind == "abbr" else folded_words(abbreviation)
            if not key:
                raise TableError(
                    f"{where}: {abbreviation!r} is not shaped like an abbreviation (capitals, digits, . & -)"
                )
            if key in lines:
                raise TableError(f"{where}: {abbreviation!r} has the same key {key!r} as line {lines[key]}")
            lines[key] = number
            entries[key] = AbbreviationEntry(abbreviation, forms, kind, ambiguous == "yes", int(docs), key)
        if cues_text is not None:
            entries = _attach_cues(entries, cues_text, cues_source)
        return cls(list(entries.values()))

    @classmethod
    def from_files(cls, path: str | Path, cues_path: str | Path | None = None) -> AbbreviationTable:
        """Read a table (and cue) TSV from disk."""
        cues_text = Path(cues_path).read_text(encoding="utf-8") if cues_path else None
        return cls.parse(Path(path).read_text(encoding="utf-8"), str(path), cues_text, str(cues_path))

    def with_learned(self, counts: LearnedDefinitions, min_count: int = 3) -> AbbreviationTable:
        """A copy that also knows the abbreviations a collection defined for
        itself (``Công an TP Hà Nội (CATP)``) at least ``min_count`` times.
        Table entries win; a learned key with several meanings is ambiguous
        and, having no cues, is only decided by ``choose_expansions``'
        learned counts."""
        entries = dict(self._by_key)
        for key in counts.keys():
            if key in entries:
                continue
            definitions = counts.definitions(key, min_count)
            if not definitions:
                continue
            entries[key] = AbbreviationEntry(
                abbreviation=counts.abbreviation_spelling(key) or key.upper(),
                expansions=tuple(text for text, _ in definitions),
                kind="abbr",
                ambiguous=len(definitions) > 1,
                docs=sum(count for _, count in definitions),
                key=key,
            )
        return AbbreviationTable(list(entries.values()))

    # -- lookups -----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[AbbreviationEntry]:
        return iter(self._by_key.values())

    def lookup(self, text: str) -> AbbreviationEntry | None:
        """The entry for a key or any spelling of an abbreviation or alias.

        >>> default_table().lookup("Tp. HCM").expansions
        ('Thành phố Hồ Chí Minh',)
        """
        entry = self._by_key.get(text)
        if entry is None:
            key = cached_abbreviation_key(text)
            entry = self._by_key.get(key) if key else None
        if entry is None:
            entry = self._by_key.get(folded_words(text))
        return entry

    def abbreviations_for(self, expansion_text: str) -> list[AbbreviationEntry]:
        """The abbreviations a full form stands for, however it is accented,
        cased or tone-placed; aliases are not returned (they expand one way).

        >>> [e.abbreviation for e in default_table().abbreviations_for("canh sat giao thong")]
        ['CSGT']
        """
        entries = self._by_full_form.get(folded_words(expansion_text), [])
        return [entry for entry in entries if entry.kind == "abbr"]

    def find_spans(self, syllables: list[str], learned: Learned | None = None) -> list[Span]:
        """Spans of a query that are an abbreviation in any spelling
        (``tphcm``, ``tp hcm``) or a full form (``cảnh sát giao thông``,
        ``uy ban nhan dan``), left to right, longest match first.

        ``syllables`` are the query's words as typed (case and accents
        kept: a lowercase ``ca`` is a word, ``CA`` an abbreviation);
        ``learned`` is passed on to :func:`choose_expansions`.

        >>> query = "tai nan giao thong tp hcm".split()
        >>> [(s.start, s.end, s.forms) for s in default_table().find_spans(query)]
        [(0, 4, ('TNGT',)), (4, 6, ('TP.HCM', 'Thành phố Hồ Chí Minh'))]
        """
        folded = [folded_words(s) for s in syllables]
        spans: list[Span] = []
        position = 0
        while position < len(syllables):
            span = self._span_at(syllables, folded, position, learned)
            if span is None:
                position += 1
            else:
                spans.append(span)
                position = span.end
        return spans

    def _span_at(self, syllables: list[str], folded: list[str], start: int, learned: Learned | None) -> Span | None:
        """The longest span starting at ``start``: a full form, or an
        abbreviation typed as one to three words; a full form wins a tie."""
        best: Span | None = None
        for words in self._by_first_word.get(folded[start], ()):
            end = start + len(words)
            if tuple(folded[start:end]) == words:
                best = self._full_form_span(" ".join(words), start, end)
                break
        longest_abbreviation = min(_MAX_ABBREVIATION_TOKENS, len(syllables) - start)
        for length in range(longest_abbreviation, 0, -1):
            if best is not None and length <= best.end - best.start:
                break
            typed = " ".join(syllables[start : start + length])
            key = cached_abbreviation_key(typed)
            entry = self._by_key.get(key) if key else None
            if entry is None or entry.kind != "abbr":
                continue
            context = syllables[:start] + syllables[start + length :]
            meanings = choose_expansions(entry, context, learned, spelling=typed)
            forms = (entry.abbreviation, *meanings)
            best = Span(start, start + length, key, "abbreviation", forms, entry.ambiguous)
            break
        return best

    def _full_form_span(self, folded: str, start: int, end: int) -> Span:
        """An alias gives its targets and their abbreviations; a full form
        gives its abbreviations and, when they are unambiguous, the other
        spellings of the same meaning (Liên Hiệp Quốc → Liên Hợp Quốc)."""
        entries = self._by_full_form[folded]
        first = entries[0]
        if first.kind == "alias":
            targets = list(first.expansions)
            for target in first.expansions:
                targets += [e.abbreviation for e in self.abbreviations_for(target)]
            return Span(start, end, first.key, "alias", tuple(dict.fromkeys(targets)))
        forms: list[str] = []
        for entry in entries:
            forms.append(entry.abbreviation)
            if not entry.ambiguous:
                forms += [e for e in entry.expansions if folded_words(e) != folded]
        ambiguous = any(entry.ambiguous for entry in entries)
        return Span(start, end, first.key, "expansion", tuple(dict.fromkeys(forms)), ambiguous)


# Abbreviations typed as separate words: "tp hcm", "gd & dt", "nn & ptnt".
_MAX_ABBREVIATION_TOKENS = 3


def _attach_cues(
    entries: dict[str, AbbreviationEntry], text: str, source: str
) -> dict[str, AbbreviationEntry]:
    """Give each ambiguous entry its per-meaning cue words; every meaning
    of every ambiguous entry must have some."""
    cues: dict[str, dict[str, tuple[str, ...]]] = {}
    for number, (abbreviation, expansion, cue_list) in _parse_rows(text, source, _CUE_COLUMNS):
        where = f"{source}:{number}"
        key = abbreviation_key(abbreviation)
        entry = entries.get(key) if key else None
        if entry is None or not entry.ambiguous:
            raise TableError(f"{where}: {abbreviation!r} is not an ambiguous entry of the table")
        if expansion not in entry.expansions:
            known = " | ".join(entry.expansions)
            raise TableError(f"{where}: {expansion!r} is not an expansion of {abbreviation!r} ({known})")
        folded_cues = (folded_words(cue) for cue in cue_list.split(_LIST_SEPARATOR.strip()))
        cues.setdefault(key, {})[expansion] = tuple(cue for cue in folded_cues if cue)
    attached = dict(entries)
    for key, entry in entries.items():
        if not entry.ambiguous:
            continue
        missing = [e for e in entry.expansions if e not in cues.get(key, {})]
        if missing:
            raise TableError(f"{source}: no cue row for {entry.abbreviation!r} meaning {missing[0]!r}")
        per_meaning = tuple((expansion, cues[key][expansion]) for expansion in entry.expansions)
        attached[key] = replace(entry, cues=per_meaning)
    return attached


@lru_cache(maxsize=1)
def default_table() -> AbbreviationTable:
    """The table bundled with vn-search (``vn_search/data/abbreviations.tsv``)."""
    data = resources.files("vn_search") / "data"
    return AbbreviationTable.parse(
        (data / "abbreviations.tsv").read_text(encoding="utf-8"),
        "vn_search/data/abbreviations.tsv",
        (data / "abbreviation_cues.tsv").read_text(encoding="utf-8"),
        "vn_search/data/abbreviation_cues.tsv",
    )


class LearnedDefinitions(Protocol):
    """What :meth:`AbbreviationTable.with_learned` needs from mined
    definitions (``abbreviation_mining.DefinitionCounts`` has it)."""

    def keys(self) -> Iterable[str]: ...

    def definitions(self, key: str, min_count: int = 2) -> list[tuple[str, int]]: ...

    def abbreviation_spelling(self, key: str) -> str | None: ...

