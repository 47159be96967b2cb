"""The plausible range of values a user may enter, one place for pages, API, imports and services.

A value outside these ranges is refused with a message; every value inside renders on every page.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

EARLIEST_DATE = dt.date(2000, 1, 1)  # no GMP project of this portal starts before
LATEST_DATE = dt.date(2100, 12, 31)  # far enough for any plan, near enough for every date computation
MAX_MONEY = Decimal("999999999999.99")  # the money columns: 14 digits, 2 of them decimals


def date_in_range(day: dt.date | None) -> bool:
    """True for None (no date) and for a date between EARLIEST_DATE and LATEST_DATE."""
    return day is None or EARLIEST_DATE <= day <= LATEST_DATE


def budget_in_range(amount: Decimal) -> bool:
    """A budget (BAC) the money columns hold and the scores can use: 0 to MAX_MONEY."""
    return Decimal(0) <= amount <= MAX_MONEY


def date_out_of_range_message() -> str:
    """Why a date is refused, in the active language, with the range's ends as that language writes dates."""
    return _("Enter a date between %(earliest)s and %(latest)s.") % {
        "earliest": date_format(EARLIEST_DATE, "DATE_FORMAT"),
        "latest": date_format(LATEST_DATE, "DATE_FORMAT"),
    }


def validate_date_in_range(day: dt.date | None) -> None:
    """The validator of every date a user enters (model fields, so services, API and forms refuse alike)."""
    if not date_in_range(day):
        raise ValidationError(date_out_of_range_message(), code="out_of_range")
