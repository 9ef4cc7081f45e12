"""Turn a request's query string into the arguments of ``SearchEngine.search``.

The HTML pages and the JSON API read the same parameters but forgive
differently: a person who edits the URL by hand gets the nearest sensible
page (``page=abc`` → 1, ``per_page=500`` → 50), while a program gets a 400
that names the bad parameter, so its bug surfaces instead of being hidden.

    >>> parse_search_args({"q": " cán bộ ", "page": "x"}, strict=False).page
    1
    >>> parse_search_args({"q": "cán bộ", "page": "x"}, strict=True)
    Traceback (most recent call last):
    vn_search.web.params.BadSearchArgument: page must be a whole number from 1 to 1000
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Mapping

__all__ = [
    "BadSearchArgument",
    "SearchArgs",
    "parse_search_args",
    "KINDS",
    "SORTS",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "DEFAULT_PER_PAGE",
]

KINDS = ("article", "related")
SORTS = ("relevance", "date")
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 50
# Nobody reads page 1000 of a news search; the cap keeps a hand-made URL
# from asking the engine to rank millions of hits just to drop them.
MAX_PAGE = 1000
# Facet values are short names ("Báo Lào Cai", "Thời sự"); anything longer
# is not a value from the filter dropdown.
MAX_FILTER_CHARS = 200

# ASCII digits only: int() would also accept "١٢", "３" and "1_000".
_DIGITS = re.compile(r"[0-9]+")


class BadSearchArgument(ValueError):
    """A query-string parameter the API refuses; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True)
class SearchArgs:
    """Everything a results page asks the engine for, already validated."""

    query: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    kind: str | None = None
    source: str | None = None
    category: str | None = None
    sort: str = "relevance"

    @property
    def has_filters(self) -> bool:
        return any((self.kind, self.source, self.category))

    def engine_kwargs(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "per_page": self.per_page,
            "kind": self.kind,
            "source": self.source,
            "category": self.category,
            "sort": self.sort,
        }

    def url_args(self, **changes: Any) -> dict[str, Any]:
        """Query-string values for a link to a variant of this search.

        Defaults are left out so links stay short and readable
        (``/search?q=luan+chuyen&page=2``).
        """
        args = replace(self, **changes)
        values = {
            "q": args.query,
            "kind": args.kind,
            "source": args.source,
            "category": args.category,
            "sort": None if args.sort == "relevance" else args.sort,
            "per_page": None if args.per_page == DEFAULT_PER_PAGE else args.per_page,
            "page": None if args.page == 1 else args.page,
        }
        return {key: value for key, value in values.items() if value}


def _number(
    args: Mapping[str, str], name: str, default: int, high: int, strict: bool
) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not _DIGITS.fullmatch(raw):
        if strict:
            raise BadSearchArgument(name, f"{name} must be a whole number from 1 to {high}")
        return default
    # Absurdly long digit strings are simply "too big" (int() refuses
    # strings over 4300 digits anyway).
    value = int(raw) if len(raw) <= 18 else high + 1
    if 1 <= value <= high:
        return value
    if strict:
        raise BadSearchArgument(name, f"{name} must be a whole number from 1 to {high}")
    return min(max(value, 1), high)


def _choice(
    args: Mapping[str, str], name: str, choices: tuple[str, ...], strict: bool
) -> str | None:
    raw = (args.get(name) or "").strip()
    if not raw or raw == "all":
        return None
    if raw in choices:
        return raw
    if strict:
        raise BadSearchArgument(name, f"{name} must be one of: {', '.join(choices)}")
    return None


def _filter_value(args: Mapping[str, str], name: str, strict: bool) -> str | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if len(raw) > MAX_FILTER_CHARS or not raw.isprintable():
        if strict:
            raise BadSearchArgument(name, f"{name} is not a known {name} name")
        return None
    return raw


def parse_search_args(args: Mapping[str, str], *, strict: bool) -> SearchArgs:
    """Read ``q, page, per_page, kind, source, category, sort``.

    ``strict=False`` (HTML pages) clamps or drops bad values; ``strict=True``
    (the API) raises :class:`BadSearchArgument` for them. The query is only
    stripped: cutting over-long queries is the engine's job, and it says so
    in ``SearchResults.notices``.
    """
    sort = _choice(args, "sort", SORTS, strict) or "relevance"
    return SearchArgs(
        query=(args.get("q") or "").strip(),
        page=_number(args, "page", 1, MAX_PAGE, strict),
        per_page=_number(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE, strict),
        kind=_choice(args, "kind", KINDS, strict),
        source=_filter_value(args, "source", strict),
        category=_filter_value(args, "category", strict),
        sort=sort,
    )
