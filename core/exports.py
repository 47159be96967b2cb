"""Cells of every spreadsheet export (CSV, XLSX): no formula injection; in XLSX, no character it cannot hold.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some also after a
leading tab or carriage return) as a formula, so text typed by a user (a reason, a name) could
open a link or run a command on the inspector's machine (OWASP "CSV injection"). Such text is
prefixed with a single quote, which spreadsheets show as text. Numbers and dates stay typed.
"""

import datetime as dt
import re
from decimal import Decimal

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0, so XLSX, cannot hold these control characters (openpyxl refuses the cell): as in openpyxl.
XLSX_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def safe_cell(value):
    """The value as a spreadsheet should receive it: ``None`` as empty, risky text quoted, numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | dt.date | dt.datetime | dt.time):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def xlsx_cell(value):
    """``safe_cell`` for XLSX: a control character XLSX cannot hold (typed into a name, say) shows as "\ufffd"."""
    value = safe_cell(value)
    return XLSX_ILLEGAL.sub("\ufffd", value) if isinstance(value, str) else value
