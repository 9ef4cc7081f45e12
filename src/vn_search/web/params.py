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

Dates are the exception: a wrong day cannot be guessed, so a page keeps
the problem (``SearchArgs.date_problem``, in Vietnamese) and says so:

    >>> parse_search_args({"q": "bão", "from": "2017-02-30"}, strict=False).date_problem
    'Ngày bắt đầu (from) không hợp lệ: «2017-02-30». Hãy chọn một ngày có thật, viết theo dạng năm-tháng-ngày, ví dụ 2017-02-06.'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Mapping

from vn_search.dates import RELATIVE_RANGES, parse_day, relative_range
from vn_search.engine import KINDS, SORTS

__all__ = [
    "BadSearchArgument",
    "SearchArgs",
    "parse_search_args",
    "KINDS",
    "SORTS",
    "WITHIN",
    "read_day",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "DEFAULT_PER_PAGE",
]

# The quick date choices ("24 giờ qua", "Tuần qua", …), by their URL names.
WITHIN = tuple(RELATIVE_RANGES)
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
    """A query-string parameter the API refuses; ``param`` names it.

    ``message`` is for a programmer (the API's JSON); ``explanation`` is
    for a reader of the results page, in Vietnamese.
    """

    def __init__(self, param: str, message: str, explanation: str | None = None) -> None:
        super().__init__(message)
        self.param = param
        self.message = message
        self.explanation = explanation or message


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
    # Publication days, inclusive, in Vietnam time (``from`` / ``to``) ...
    since: date | None = None
    until: date | None = None
    # ... or one of the quick choices ending now (``within``, see WITHIN).
    within: str | None = None
    # Why ``from``/``to`` were refused, for a page to show (never set by
    # the strict parse, which raises instead).
    date_problem: str | None = None
    # Search the words literally: no keystrokes read, no correction searched
    # instead (the "search what I typed" link).
    as_typed: bool = False
    # One hit per story, the others listed under it (``group=0``: one per article).
    group: bool = True

    @property
    def has_filters(self) -> bool:
        return any((self.kind, self.source, self.category, self.has_dates))

    @property
    def has_dates(self) -> bool:
        return any((self.since, self.until, self.within))

    def engine_kwargs(self, now: datetime | None = None) -> dict[str, Any]:
        """Arguments for ``SearchEngine.search``; a ``within`` range ends
        at ``now`` (default: the current time)."""
        since, until = self.since, self.until
        if self.within:
            window = relative_range(self.within, now)
            since, until = window.since, window.until
        return {
            "page": self.page,
            "per_page": self.per_page,
            "kind": self.kind,
            "source": self.source,
            "category": self.category,
            "sort": self.sort,
            "since": since,
            "until": until,
            "as_typed": self.as_typed,
            "group": self.group,
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
            "within": args.within,
            "from": args.since.isoformat() if args.since else None,
            "to": args.until.isoformat() if args.until else None,
            "sort": None if args.sort == "relevance" else args.sort,
            "as_typed": 1 if args.as_typed else None,
            "group": None if args.group else "0",
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


_DAY_NAMES = {"from": "Ngày bắt đầu", "to": "Ngày kết thúc"}


def read_day(raw: str | None, name: str) -> date | None:
    """A day written ``YYYY-MM-DD`` (what ``<input type="date">`` sends),
    None when empty; :class:`BadSearchArgument` naming ``name`` otherwise
    (``dates.parse_day`` decides what a day is)."""
    text = (raw or "").strip()
    try:
        day = parse_day(text, name)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise BadSearchArgument(
            name,
            f"{name} must be a date written YYYY-MM-DD, not {shown!r}",
            f"{_DAY_NAMES.get(name, name)} ({name}) không hợp lệ: «{shown}». Hãy chọn một ngày có thật, "
            "viết theo dạng năm-tháng-ngày, ví dụ 2017-02-06.",
        ) from None
    return day


def _vi_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _date_bounds(args: Mapping[str, str], strict: bool) -> tuple[date | None, date | None, str | None]:
    """``from``, ``to`` and ``within``; see :func:`parse_search_args`."""
    since, until = read_day(args.get("from"), "from"), read_day(args.get("to"), "to")
    if since and until and since > until:
        raise BadSearchArgument(
            "from",
            f"from ({since.isoformat()}) is after to ({until.isoformat()})",
            f"Khoảng ngày bị ngược: từ {_vi_day(since)} đến {_vi_day(until)}. "
            "Ngày bắt đầu phải trước hoặc trùng với ngày kết thúc.",
        )
    within = _choice(args, "within", WITHIN, strict)
    if within and (since or until):
        if strict:
            raise BadSearchArgument("within", "within cannot be combined with from or to")
        within = None  # a hand-made URL with both: the days typed win
    return since, until, within


def parse_search_args(args: Mapping[str, str], *, strict: bool) -> SearchArgs:
    """Read ``q, page, per_page, kind, source, category, sort, from, to, within, as_typed, group``.

    ``strict=False`` (HTML pages) clamps or drops bad values; ``strict=True``
    (the API) raises :class:`BadSearchArgument` for them. The query is only
    stripped: cutting over-long queries is the engine's job, and it says so
    in ``SearchResults.notices``.

    ``from`` and ``to`` are days (``YYYY-MM-DD``, inclusive, Vietnam time);
    ``within`` is one of :data:`WITHIN`, a range ending now. A malformed
    or reversed range is refused in both modes, since no nearby range is
    what the reader meant: strictly by raising, on pages by setting
    ``date_problem`` and leaving the dates out.
    """
    sort = _choice(args, "sort", SORTS, strict) or "relevance"
    try:
        since, until, within = _date_bounds(args, strict)
        date_problem = None
    except BadSearchArgument as problem:
        if strict:
            raise
        since, until, within, date_problem = None, None, None, problem.explanation
    return SearchArgs(
        query=(args.get("q") or "").strip(),
        page=_number(args, "page", 1, MAX_PAGE, strict),
        per_page=_number(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE, strict),
        kind=_choice(args, "kind", KINDS, strict),
        source=_filter_value(args, "source", strict),
        category=_filter_value(args, "category", strict),
        sort=sort,
        since=since,
        until=until,
        within=within,
        date_problem=date_problem,
        as_typed=_flag(args, "as_typed", strict),
        group=_flag(args, "group", strict) if (args.get("group") or "").strip() else True,
    )


def _flag(args: Mapping[str, str], name: str, strict: bool) -> bool:
    """A yes/no parameter: ``1``/``true`` or ``0``/``false`` (absent: no)."""
    raw = (args.get(name) or "").strip().lower()
    if raw in ("", "0", "false"):
        return False
    if raw in ("1", "true"):
        return True
    if strict:
        raise BadSearchArgument(name, f"{name} must be 1 or 0, not {raw[:20]!r}")
    return False
