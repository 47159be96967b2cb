"""The plausible range of values a user may enter, one place for pages, API, imports and services.

A value outside these ranges is refused with a message; every value inside renders on every page.
"""

import datetime as dt

EARLIEST_DATE = dt.date(2000, 1, 1)  # no GMP project of this portal starts before
LATEST_DATE = dt.date(2100, 12, 31)  # far enough for any plan, near enough for every date computation


def date_in_range(day: dt.date | None) -> bool:
    """True for None (no date) and for a date between EARLIEST_DATE and LATEST_DATE."""
    return day is None or EARLIEST_DATE <= day <= LATEST_DATE
