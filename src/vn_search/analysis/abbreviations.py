"""Vietnamese news abbreviations, both ways: ``UBND`` ↔ ``Ủy ban nhân dân``.

Articles write ``TP.HCM``, ``TP HCM`` or ``Thành phố Hồ Chí Minh``; readers
type ``tphcm``, ``tp hcm`` or ``thanh pho ho chi minh``. This module gives
every spelling of an abbreviation one key, looks keys up in a curated table
(``data/abbreviations.tsv``) in both directions, finds abbreviations and full
forms in a query, and decides ambiguous ones (``ĐT``: đội tuyển, điện thoại,
đào tạo) from context only.

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

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

from vn_search.analysis.fold import fold_text

__all__ = [
    "ABBREVIATION_TOKEN",
    "FUNCTION_WORDS",
    "AbbreviationEntry",
    "AbbreviationTable",
    "Learned",
    "LearnedDefinitions",
    "Span",
    "TableError",
    "abbreviation_key",
    "choose_expansions",
    "default_table",
    "folded_words",
    "looks_like_syllable",
]

# Latin capitals, Vietnamese ones included: Đ and the vowels with hats and
# horns occur in abbreviations (BĐS, UBKTTƯ); toned ones (À, Ộ) never do,
# but all-caps headlines ("HÀ NỘI") must match too, to be recognised.
_UPPER = "A-Z" + "".join(
    char
    for char in map(chr, range(0xC0, 0x1EFF))
    if char.isupper() and len(fold_text(char)) == 1 and "a" <= fold_text(char) <= "z"
)

#: An abbreviation-like token in running text: capitals, optionally with
#: digits and ``.``, ``&``, ``-`` inside (``TP.HCM``, ``GD&ĐT``, ``U.23``,
#: ``VN-Index``, ``Tp.HCM``). Its letters are counted by the callers (2 to 8,
#: or one letter with digits: ``U23``).
ABBREVIATION_TOKEN = re.compile(
    rf"(?<![\w.&-])"
    rf"(?:[{_UPPER}][a-z]\.(?=[{_UPPER}]))?"  # "Tp." glued to the rest: Tp.HCM
    rf"[{_UPPER}][{_UPPER}0-9]*"
    rf"(?:[.&-][{_UPPER}0-9]+)*"
    rf"(?:-[{_UPPER}][a-z]+)?"  # VN-Index, HNX-Index
    rf"(?![\w&-])"
)

#: Definitions mined from a collection: key -> definition -> documents
#: (``DefinitionCounts.as_learned()``).
Learned = Mapping[str, Mapping[str, int]]

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_SEPARATORS = re.compile(r"[\s.&\-]+")

# A folded word that could be one Vietnamese syllable. Typed in lowercase,
# such a word is a word (``ca`` may be "cá", "cà"), not the abbreviation CA.
# Spelling rules cut false alarms: ``c`` is never written before e/i/y, so
# ``ceo`` and ``cia`` are not syllables.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:a|e|i|o|u|y|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye"
    r"|oai|oay|oeo|uay|uoi|uou|uya|uye|ieu|yeu)"
    r"(?:ch|ng|nh|c|m|n|p|t)?"
)


def looks_like_syllable(word: str) -> bool:
    """True when ``word`` (any case, accents or not) could be one Vietnamese
    syllable, by the spelling rules.

    >>> [looks_like_syllable(w) for w in ["Nội", "nghiêng", "tp", "ubnd", "ceo"]]
    [True, True, False, False, False]
    """
    folded = fold_text(word)
    if not _SYLLABLE.fullmatch(folded):
        return False
    return not (folded[0] == "c" and folded[1:2] in ("e", "i", "y"))


def abbreviation_key(text: str) -> str | None:
    """The one key of an abbreviation however it is typed; None for text
    that is not shaped like an abbreviation.

    Separators (``.``, ``&``, ``-``, spaces) go, letters are folded (``đ`` is
    ``d``), so ``TP.HCM``, ``TP. HCM``, ``TPHCM``, ``tp hcm`` and ``Tp.HCM``
    meet. Lowercase words that could be Vietnamese syllables, and anything
    with a tone mark, are words rather than abbreviations.

    >>> [abbreviation_key(t) for t in ["TP.HCM", "tp hcm", "U-23", "GD&ĐT", "gd dt"]]
    ['tphcm', 'tphcm', 'u23', 'gddt', 'gddt']
    >>> [abbreviation_key(t) for t in ["CA", "ca", "cảnh sát", "2017", "A"]]
    ['ca', None, None, None, None]
    """
    text = unicodedata.normalize("NFC", text).strip()
    if not text or len(text) > 24:
        return None
    if any(char in _TONE_MARKS for char in unicodedata.normalize("NFD", text)):
        return None
    parts = [part for part in _SEPARATORS.split(text) if part]
    if not parts or len(parts) > 4 or not parts[0][0].isalpha():
        return None
    for part in parts:
        if not part.isalnum():
            return None
        if part.isdigit() or part.isupper() or any(char.isdigit() for char in part):
            continue
        if looks_like_syllable(part):
            return None
    key = fold_text("".join(parts))
    letters = sum(char.isalpha() for char in key)
    if not key.isascii() or len(key) > 12 or letters == 0:
        return None
    if letters == 1 and key.isalpha():
        return None  # one letter alone is an initial, not an abbreviation
    return key


@lru_cache(maxsize=65536)
def _cached_key(text: str) -> str | None:
    return abbreviation_key(text)


_WORD = re.compile(r"\w+")


def folded_words(text: str) -> str:
    """Accent-, case- and punctuation-free form used to compare full forms:
    ``"Văn hóa, Thể thao và Du lịch"`` → ``"van hoa the thao va du lich"``."""
    return " ".join(_WORD.findall(fold_text(unicodedata.normalize("NFC", text))))


# ---------------------------------------------------------------------------
# The curated table
# ---------------------------------------------------------------------------

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
            key = _cached_key(text)
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
        folded = [" ".join(_WORD.findall(fold_text(unicodedata.normalize("NFC", s)))) for s in syllables]
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
            key = _cached_key(typed)
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


# ---------------------------------------------------------------------------
# Deciding what an ambiguous abbreviation means
# ---------------------------------------------------------------------------


class LearnedDefinitions(Protocol):
    """What :meth:`AbbreviationTable.with_learned` needs from mined
    definitions (``abbreviation_mining.DefinitionCounts`` has it)."""

    def keys(self) -> Iterable[str]: ...

    def definitions(self, key: str, min_count: int = 2) -> list[tuple[str, int]]: ...

    def abbreviation_spelling(self, key: str) -> str | None: ...


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

    def learned_support(candidate: str) -> int:
        return learned_counts.get(folded_words(candidate), ("", 0))[1]

    context = f" {folded_words(' '.join(context_syllables))} "
    scores = {
        candidate: sum(f" {cue} " in context for cue in {folded_words(candidate), *entry.cues_for(candidate)})
        for candidate in candidates
    }
    best = max(scores.values())
    if best > 0:
        chosen = [candidate for candidate in candidates if scores[candidate] == best]
        if len(chosen) > 1:
            support = sorted((learned_support(c), c) for c in chosen)
            if support[-1][0] > support[-2][0]:
                return [support[-1][1]]
        return chosen
    if len(candidates) == 1 and len(entry.expansions) > 1:
        return candidates  # the spelling left one meaning
    total = sum(learned_support(candidate) for candidate in candidates)
    if total:
        top = max(candidates, key=learned_support)
        if learned_support(top) >= _LEARNED_MIN_COUNT and learned_support(top) >= _LEARNED_SHARE * total:
            return [top]
    return []
