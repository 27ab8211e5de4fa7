"""The suggestion as a ready ``POST /imports/{id}/start`` body, transforms proposed from values.

Accepting our suggestion is one call: the analysis carries ``mapping``, and posting it back
unchanged starts the import. Beyond the column-by-column suggestion it proposes the two
splits a newcomer would otherwise have to write by hand: ``split_address`` for a column of
one-line addresses ("12 Smith St, Richmond VIC 3121"), judged from its sample values, and
``split_name`` for a full-name column when no column holds first or last names.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.domain.addresses import ADDRESS_SIDES
from chalicelib.domain.values import is_blank
from chalicelib.imports.catalog.fields import fields_for
from chalicelib.imports.mapping.suggest import ColumnSuggestion, Suggestion
from chalicelib.imports.mapping.transforms import split_address
from chalicelib.imports.read.headers import normalise_header

# A column is read as one-line addresses when this share of its filled samples splits into
# more than a street (a suburb, state or postcode found): "12 Smith St" alone is a street.
ONE_LINE_SHARE = 0.6
PERSON_SHARE = 0.6
# Headers that name a person's whole name; "Name" alone does too where the target has no name
# of its own (contacts), but a customer's "Name" is as often a business and stays whole.
FULL_NAME_HEADERS = {
    "full name",
    "fullname",
    "contact name",
    "contact full name",
    "customer full name",
    "client full name",
    "person name",
    "contact person",
    "name of contact",
}
_BUSINESS_WORDS = re.compile(
    r"\b(pty|ltd|limited|inc|llc|co|corp|company|trust|group|services|plumbing|electrical|"
    r"holdings|partners|cafe|café|school|club|church|council|hotel|motel|the|and|&)\b",
    re.I,
)
_PERSON = re.compile(r"^[^\W\d_][\w.'’-]*(?:,?\s+[^\W\d_][\w.'’-]*){1,4}$")


def start_body(suggestion: Suggestion, sample_rows: list[list[Any]]) -> dict[str, Any]:
    """``{"mapping": {...}}``: every suggested column, with the splits its values call for.

    ``sample_rows`` are the table's first data rows (values by column position). The body may
    still lack a required field (the analysis's ``missing_required`` says which); it is then a
    starting point to edit rather than one to post as it is.
    """
    keys = {
        f.key
        for f in fields_for(suggestion.target, suggestion.customer_label, suggestion.custom_fields)
    }
    suggested = {c.field for c in suggestion.columns if c.field}
    addresses = {
        c.column: side
        for c in suggestion.columns
        for side in ADDRESS_SIDES
        if c.field == f"{side}.line1"
        and _parts_free(side, suggested)
        and _one_line_addresses(_values(sample_rows, c.column))
    }
    person = _full_name_column(suggestion, sample_rows, keys, suggested)
    columns: list[dict[str, Any]] = []
    for column in suggestion.columns:
        if column.column in addresses:
            entry = {"source": column.header, "transform": "split_address"}
            columns.append({**entry, "prefix": addresses[column.column]})
        elif person is not None and column.column == person:
            fields = ["first_name", "last_name"]
            columns.append({"source": column.header, "transform": "split_name", "fields": fields})
        elif column.field:
            columns.append({"source": column.header, "field": column.field})
    has_headers = not all(re.fullmatch(r"Column [A-Z]+", h) for h in suggestion.headers)
    return {
        "mapping": {"target": suggestion.target, "has_headers": has_headers, "columns": columns}
    }


def _values(sample_rows: list[list[Any]], column: int) -> list[str]:
    return [
        str(row[column]).strip()
        for row in sample_rows
        if column < len(row) and not is_blank(row[column])
    ]


def _parts_free(side: str, suggested: set[str]) -> bool:
    """No other column fills the parts a split would (its country may: the split's fallback)."""
    parts = ("line2", "suburb", "state", "postcode")
    return not any(f"{side}.{part}" in suggested for part in parts)


def _one_line_addresses(values: list[str]) -> bool:
    if not values:
        return False
    split = sum(1 for v in values if set(split_address(v)) - {"line1", "line2", "country"})
    return split / len(values) >= ONE_LINE_SHARE


def _full_name_column(
    suggestion: Suggestion, sample_rows: list[list[Any]], keys: set[str], suggested: set[str]
) -> int | None:
    """The column to split into first and last names, or None (no such column, or names held
    apart already)."""
    if not {"first_name", "last_name"} <= keys or suggested & {"first_name", "last_name"}:
        return None
    for column in suggestion.columns:
        if _names_a_person(column, keys):
            values = _values(sample_rows, column.column)
            people = [v for v in values if _PERSON.match(v) and not _BUSINESS_WORDS.search(v)]
            if not values or len(people) / len(values) >= PERSON_SHARE:
                return column.column
    return None


def _names_a_person(column: ColumnSuggestion, keys: set[str]) -> bool:
    header = normalise_header(column.header)
    if column.field not in (None, "name"):
        return False
    return header in FULL_NAME_HEADERS or (header == "name" and "name" not in keys)
