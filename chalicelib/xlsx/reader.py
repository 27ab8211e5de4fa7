"""Streams the rows of an opened workbook (openpyxl read-only, or calamine's) with their real
row numbers, within limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from chalicelib.domain.values import is_blank
from chalicelib.xlsx.calamine import CalamineBook
from chalicelib.xlsx.safety import FileRejected, rejecting_unsafe_xml

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook


def sheet_names(workbook: Workbook | CalamineBook) -> list[str]:
    """The workbook's sheet names in tab order, hidden sheets included."""
    return list(workbook.sheetnames)


def read_header(workbook: Workbook | CalamineBook, sheet_name: str) -> list[str]:
    """Row 1 as text (blank cells become ""), without trailing blank cells."""
    with rejecting_unsafe_xml():
        for row in _rows(workbook, sheet_name, header_only=True):
            return ["" if value is None else str(value).strip() for value in _trim(row)]
    return []


def iter_sheet_rows(
    workbook: Workbook | CalamineBook, sheet_name: str, *, max_rows: int, first_row: int = 2
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Yield ``(row_number, values)`` for each non-blank row from ``first_row`` on.

    Row numbers are the sheet's own 1-based numbers, so errors point at the row the user sees.
    Trailing blank cells are dropped. More than ``max_rows`` non-blank rows raises FileRejected;
    the count is kept while streaming because the sheet's stated dimension is the uploader's claim.
    """
    seen = 0
    with rejecting_unsafe_xml():
        for row_number, row in enumerate(_rows(workbook, sheet_name), start=1):
            if row_number < first_row:
                continue
            values = _trim(row)
            if not values:
                continue
            seen += 1
            if seen > max_rows:
                raise FileRejected(
                    f"The sheet {sheet_name!r} has more than {max_rows:,} rows, "
                    "which is more than one import accepts"
                )
            yield row_number, values


def _rows(
    workbook: Workbook | CalamineBook, sheet_name: str, *, header_only: bool = False
) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows from row 1, gap rows included."""
    if sheet_name not in workbook.sheetnames:
        raise FileRejected(f"The workbook has no sheet named {sheet_name!r}")
    if isinstance(workbook, CalamineBook):
        return workbook.rows(sheet_name)
    sheet = workbook[sheet_name]
    if header_only:
        return sheet.iter_rows(min_row=1, max_row=1, values_only=True)
    # A read-only sheet pads every row to its declared dimension; a lying "A1:XFD1048576" would
    # make each row 16,384 cells wide, so forget it and take rows as they come.
    sheet.reset_dimensions()
    return sheet.iter_rows(values_only=True)


def _trim(row: tuple[Any, ...]) -> tuple[Any, ...]:
    end = len(row)
    while end and is_blank(row[end - 1]):
        end -= 1
    return tuple(row[:end])
