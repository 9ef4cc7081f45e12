"""Dates as a Vietnamese reader means them: days in Vietnam time.

The index keeps times as naive UTC (``sources.jsonl.parse_date``). A reader
who asks for articles "from 2017-02-06" means from midnight in Hà Nội, and
"24 giờ qua" means the last 24 hours from now. :func:`date_range` turns
either into a pair of UTC instants, and refuses what cannot be meant:

    >>> date_range("2017-02-06", "2017-02-06").describe()
    '06/02/2017'
    >>> date_range("2017-02-07", "2017-02-06")
    Traceback (most recent call last):
    ...
    ValueError: since (2017-02-07) is after until (2017-02-06)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

__all__ = ["VIETNAM", "DateRange", "date_range", "parse_day", "relative_range", "RELATIVE_RANGES", "stored_moment",
           "to_vietnam"]

# Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed
# offset is exact for every date in a news archive.
VIETNAM = timezone(timedelta(hours=7), "ICT")

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Years a news archive can mean; the calendar's own ends (0001, 9999)
# cannot be shifted to UTC.
_FIRST_YEAR, _LAST_YEAR = 1800, 2200

# The quick choices of a results page: name → (label, length).
RELATIVE_RANGES = {
    "24h": ("24 giờ qua", timedelta(hours=24)),
    "week": ("Tuần qua", timedelta(days=7)),
    "month": ("Tháng qua", timedelta(days=30)),
    "year": ("Năm qua", timedelta(days=365)),
}


def to_vietnam(moment: datetime) -> datetime:
    """A stored time (naive UTC) or an aware one, in Vietnam time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VIETNAM)


def stored_moment(iso: str | None) -> datetime | None:
    """A time as the engine gives it (ISO 8601; naive means UTC) as an
    aware UTC datetime, or None when missing or unreadable."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as the index keeps times; a naive input is Vietnam time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def parse_day(value: date | datetime | str | None, name: str) -> date | datetime | None:
    """A day (``YYYY-MM-DD``), a date or a datetime; ``ValueError`` naming
    the parameter for anything else."""
    if value is None or isinstance(value, (date, datetime)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _DAY.fullmatch(text):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                pass
            else:
                if _FIRST_YEAR <= day.year <= _LAST_YEAR:
                    return day
        raise ValueError(f"{name} must be a date written YYYY-MM-DD, not {value!r}")
    raise ValueError(f"{name} must be a date (YYYY-MM-DD), not {type(value).__name__}")


@dataclass(frozen=True)
class DateRange:
    """Inclusive bounds as naive UTC instants; None is open."""

    start: datetime | None
    end: datetime | None
    since: date | datetime | None = None
    until: date | datetime | None = None

    def describe(self) -> str:
        """The range as a Vietnamese reader writes it (``06/02/2017 – 08/02/2017``)."""
        show = lambda day: day.strftime("%d/%m/%Y %H:%M" if isinstance(day, datetime) else "%d/%m/%Y")  # noqa: E731
        if self.since and self.until:
            first, last = show(self.since), show(self.until)
            return first if first == last else f"{first} – {last}"
        if self.since:
            return f"từ {show(self.since)}"
        return f"đến {show(self.until)}"

    def to_json(self) -> dict[str, str | None]:
        iso = lambda day: day.isoformat() if day else None  # noqa: E731
        return {"since": iso(self.since), "until": iso(self.until)}


def date_range(since: date | datetime | str | None, until: date | datetime | str | None) -> DateRange | None:
    """The range from ``since`` to ``until`` inclusive (a day runs from
    00:00 to 24:00 Vietnam time; a datetime is that instant); None when
    both are open. ``ValueError`` for a malformed or reversed range."""
    first, last = parse_day(since, "since"), parse_day(until, "until")
    if first is None and last is None:
        return None
    start = _utc(first if isinstance(first, datetime) else datetime.combine(first, time())) if first else None
    if isinstance(last, datetime):
        end = _utc(last)
    elif last is not None:
        end = _utc(datetime.combine(last + timedelta(days=1), time())) - timedelta(microseconds=1)
    else:
        end = None
    if start is not None and end is not None and start > end:
        raise ValueError(f"since ({_show_iso(first)}) is after until ({_show_iso(last)})")
    return DateRange(start, end, first, last)


def _show_iso(day: date | datetime) -> str:
    return day.isoformat(timespec="minutes") if isinstance(day, datetime) else day.isoformat()


def relative_range(name: str, now: datetime | None = None) -> DateRange:
    """One of the page's quick choices (``RELATIVE_RANGES``), ending now."""
    if name not in RELATIVE_RANGES:
        raise ValueError(f"within must be one of {', '.join(RELATIVE_RANGES)}, not {name!r}")
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    now = now.astimezone(VIETNAM).replace(second=0, microsecond=0)
    return date_range(now - RELATIVE_RANGES[name][1], now)
