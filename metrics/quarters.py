"""Calendar quarters (Q1 = January–March, UTC): the period of every satisfaction and Lean figure.

Pure Python. A quarter is represented by its first day (a ``date``), so it sorts, stores in a
``DateField`` and groups in SQL without conversion.
"""

from __future__ import annotations

import datetime as dt


def quarter_of(day: dt.date | dt.datetime) -> dt.date:
    """First day of the quarter containing ``day`` (an aware datetime is taken in UTC)."""
    if isinstance(day, dt.datetime):
        day = day.astimezone(dt.UTC).date() if day.tzinfo else day.date()
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_quarter(quarter: dt.date) -> dt.date:
    month = quarter.month + 3
    return dt.date(quarter.year + (month > 12), (month - 1) % 12 + 1, 1)


def previous_quarter(quarter: dt.date) -> dt.date:
    month = quarter.month - 3
    return dt.date(quarter.year - (month < 1), (month - 1) % 12 + 1, 1)


def quarter_start(quarter: dt.date) -> dt.datetime:
    """Midnight UTC on the quarter's first day."""
    return dt.datetime(quarter.year, quarter.month, 1, tzinfo=dt.UTC)


def quarter_label(quarter: dt.date) -> str:
    """``2026 Q3``."""
    return f"{quarter.year} Q{(quarter.month - 1) // 3 + 1}"


QUARTER_PATTERN = r"^(20[0-9]{2}|2100)Q[1-4]$"  # the API's spelling of a quarter (years parse_quarter accepts)


def parse_quarter(text: str | None) -> dt.date | None:
    """``2026Q3``, ``2026-Q3`` or ``2026 Q3`` → 2026-07-01; anything else → None."""
    if not text:
        return None
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    if len(cleaned) != 6 or cleaned[4] != "Q" or not cleaned[:4].isdigit() or cleaned[5] not in "1234":
        return None
    year = int(cleaned[:4])
    if year < 2000 or year > 2100:
        return None
    return dt.date(year, 3 * (int(cleaned[5]) - 1) + 1, 1)


def quarter_param(quarter: dt.date) -> str:
    """The form ``parse_quarter`` reads back: ``2026Q3``."""
    return quarter_label(quarter).replace(" ", "")


def recent_quarters(last: dt.date, count: int) -> list[dt.date]:
    """``count`` quarters ending with ``last``, oldest first."""
    quarters = [last]
    for _ in range(count - 1):
        quarters.append(previous_quarter(quarters[-1]))
    return list(reversed(quarters))


def split_by_quarter(start: dt.datetime, end: dt.datetime) -> dict[dt.date, dt.timedelta]:
    """The part of the interval [start, end) that falls in each quarter (empty when end <= start)."""
    parts: dict[dt.date, dt.timedelta] = {}
    cursor = start
    while cursor < end:
        boundary = quarter_start(next_quarter(quarter_of(cursor)))
        stop = min(boundary, end)
        parts[quarter_of(cursor)] = parts.get(quarter_of(cursor), dt.timedelta(0)) + (stop - cursor)
        cursor = stop
    return parts
