"""Date columns read whole: their own values decide day/month order; CSV serials are dates."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from chalicelib.domain.values import InvalidValue, parse_date

_DAY_MONTH = re.compile(r"^\s*(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})(?:[\sT].*)?$")
# A five-digit number in a date column is an Excel serial a CSV export wrote as it is stored
# (10000 is 1927-05-18, 99999 is 2173-10-14); shorter numbers are more likely years or codes.
_SERIAL = re.compile(r"^\s*(\d{5})(?:\.\d+)?\s*$")


def decide_date_orders(rows: Iterable[dict[str, Any]], keys: Collection[str]) -> dict[str, str]:
    """``key → "DMY" | "MDY"`` for each date field in ``keys`` whose values settle the order.

    One value that can only be read one way (13/02/2024 is day-first, 02/13/2024 month-first)
    settles its column; a column with both kinds, or none, is left out, so the tenant's
    ``date_order`` reads it. ``rows`` are the rows' field dicts; every row is looked at.
    """
    seen: dict[str, set[str]] = {key: set() for key in keys}
    for fields in rows:
        for key in keys:
            value = fields.get(key)
            if isinstance(value, str) and (match := _DAY_MONTH.match(value)):
                first, second = int(match[1]), int(match[3])
                if first > 12 >= second >= 1:
                    seen[key].add("DMY")
                elif second > 12 >= first >= 1:
                    seen[key].add("MDY")
    return {key: orders.pop() for key, orders in seen.items() if len(orders) == 1}


def settle_dates(
    fields: dict[str, Any], keys: Collection[str], orders: dict[str, str]
) -> dict[str, Any]:
    """``fields`` with its date fields read as its columns decided: ambiguous text in the
    column's order, five-digit numbers as Excel serials. A value that is no date stays as it is,
    for the planner to report."""
    for key in keys:
        value = fields.get(key)
        if not isinstance(value, str):
            continue
        if match := _SERIAL.match(value):
            fields[key] = float(match[1])
        elif key in orders:
            fields[key] = _read(value, orders[key])
    return fields


def _read(value: str, order: str) -> date | str:
    try:
        return parse_date(value, order)
    except InvalidValue:
        return value
