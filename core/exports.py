"""Cells of every spreadsheet export (CSV, XLSX): no formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some also after a
leading tab or carriage return) as a formula, so text typed by a user (a reason, a name) could
open a link or run a command on the inspector's machine (OWASP "CSV injection"). Such text is
prefixed with a single quote, which spreadsheets show as text. Numbers and dates stay typed.
"""

import datetime as dt
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as a spreadsheet should receive it: ``None`` as empty, risky text quoted, numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | dt.date | dt.datetime | dt.time):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
