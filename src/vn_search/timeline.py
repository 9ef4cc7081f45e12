"""A search's timeline: how its whole result set spreads over time.

The results page draws it as bars, one per day, week or month (whichever
gives at most ``MAX_BARS`` bars over the set's span; years beyond that),
the way Google News showed a story's timeline. Days are Vietnam days: an
article published at 23:30 in Hà Nội on 6 February counts on the 6th,
though it is the 6th at 16:30 UTC.

    >>> from datetime import datetime
    >>> moments = [datetime(2017, 2, 6, 16, 30), datetime(2017, 2, 6, 17, 10), datetime(2017, 2, 8, 3, 0)]
    >>> [(b.start.isoformat(), b.count) for b in timeline(published_values(moments))]
    [('2017-02-06', 1), ('2017-02-07', 1), ('2017-02-08', 1)]

Counting is one ``numpy.bincount`` over the set's ``published`` column
values (microseconds since ``datetime.min``, naive UTC; 0 for undated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from vn_search.storage.segments import published_value

__all__ = ["TimelineBucket", "timeline", "published_values", "MAX_BARS", "UNITS"]

MAX_BARS = 60
UNITS = ("day", "week", "month", "year")
_MICROSECONDS_PER_DAY = 86_400_000_000
_VIETNAM_OFFSET = 7 * 3_600_000_000  # UTC+7, no daylight saving since 1975 (dates.VIETNAM)


@dataclass(frozen=True)
class TimelineBucket:
    """One bar: the articles of the set published from ``start`` to ``end``
    (days, inclusive, Vietnam time)."""

    start: date
    end: date
    count: int
    unit: str = "day"  # day, week, month or year

    @property
    def label(self) -> str:
        """The period as a Vietnamese reader writes it."""
        if self.unit == "day":
            return self.start.strftime("%d/%m/%Y")
        if self.unit == "week":
            return f"{self.start:%d/%m} – {self.end:%d/%m/%Y}"
        if self.unit == "month":
            return f"tháng {self.start.month}/{self.start.year}"
        return f"năm {self.start.year}"

    def to_json(self) -> dict[str, str | int]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "count": self.count}


def published_values(moments: list[datetime]) -> np.ndarray:
    """Naive UTC datetimes as ``published`` column values (for tests and
    examples; the engine reads the column itself)."""
    return np.array([published_value(moment) for moment in moments], dtype=np.int64)


def timeline(published: np.ndarray, max_bars: int = MAX_BARS) -> list[TimelineBucket]:
    """Bars over the span of ``published`` (column values; 0 is undated and
    left out), in the finest unit that needs at most ``max_bars`` bars.
    Empty periods inside the span are bars of 0: a gap is part of the story."""
    dated = published[published > 0]
    if not len(dated):
        return []
    # Days since 0001-01-01 in Vietnam time: date.fromordinal(day + 1).
    days = (dated + _VIETNAM_OFFSET) // _MICROSECONDS_PER_DAY
    first, last = int(days.min()), int(days.max())
    first_day, last_day = date.fromordinal(first + 1), date.fromordinal(last + 1)
    if last - first + 1 <= max_bars:
        counts = np.bincount(days - first)
        return [TimelineBucket(first_day + timedelta(i), first_day + timedelta(i), int(n), "day")
                for i, n in enumerate(counts)]
    # ISO weeks, Monday to Sunday.
    monday = first - first_day.weekday()
    if (last - monday) // 7 + 1 <= max_bars:
        counts = np.bincount((days - monday) // 7)
        start = date.fromordinal(monday + 1)
        return [TimelineBucket(start + timedelta(7 * i), start + timedelta(7 * i + 6), int(n), "week")
                for i, n in enumerate(counts)]
    first_month = first_day.year * 12 + first_day.month - 1
    if last_day.year * 12 + last_day.month - first_month <= max_bars:
        months = _months(days) - first_month
        return [_month_bucket(first_month + i, int(n)) for i, n in enumerate(np.bincount(months))]
    years = _months(days) // 12
    counts = np.bincount(years - first_day.year)
    return [TimelineBucket(date(first_day.year + i, 1, 1), date(first_day.year + i, 12, 31), int(n), "year")
            for i, n in enumerate(counts)]


def _months(days: np.ndarray) -> np.ndarray:
    """year * 12 + month - 1 of each day number (numpy's calendar, proleptic
    Gregorian like Python's)."""
    as_dates = (days - (date(1970, 1, 1).toordinal() - 1)).astype("datetime64[D]")
    months = as_dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return months + 1970 * 12


def _month_bucket(month_number: int, count: int) -> TimelineBucket:
    year, month = divmod(month_number, 12)
    start = date(year, month + 1, 1)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return TimelineBucket(start, following - timedelta(days=1), count, "month")
