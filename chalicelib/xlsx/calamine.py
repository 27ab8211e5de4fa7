"""Reads a checked workbook's rows with python-calamine, when its sheets are safe to hold whole.

calamine parses a sheet ~20x faster than openpyxl, but it holds the sheet as a dense grid from
its first to its last cell (about 32 bytes a cell) and aborts the process, uncatchably, when
that grid cannot be allocated: one cell at XFD1048576 asks for 550 GB. So a workbook is only
given to calamine after ``cell_area_bound`` has read the sheets' XML and bounded every grid
below MAX_CELL_AREA; anything it cannot bound is read by openpyxl, which streams.

Values come out as openpyxl's read-only, values-only pass gives them (tests compare both over
the test files): blank cells None, whole numbers int, dates datetime. One difference stays:
calamine reads every number as a float, so an integer beyond 2**53 stored by a program (Excel
keeps 15 digits) loses its last digits, where openpyxl reads it exactly.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from typing import Any

# Cells calamine may hold for one sheet: ~32 bytes each, so about 512 MiB; the import worker
# has 2 GiB (.chalice/config.json). Larger grids are read by openpyxl.
MAX_CELL_AREA = 16_000_000
# Floats holding whole numbers up to here are exactly ints (openpyxl reads "12" as int 12).
_EXACT_INT = 2**53

_CHUNK = 1024 * 1024
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_ROW = re.compile(rb"<row[\s>/]")
_ROW_REF = re.compile(rb'<row\s[^>]*?\br="(\d+)"')
_CELL = re.compile(rb"<c[\s>/]")
_CELL_REF = re.compile(rb'<c\s[^>]*?\br="([A-Z]{1,3})(\d+)"')
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:row|c|sheetData)[\s>/]")


def cell_area_bound(path: str) -> int | None:
    """The largest grid (rows x columns) calamine would hold for any sheet of the .xlsx at
    ``path``; None when it cannot be bounded (rows or cells without their reference, prefixed
    element names). Run after ``check_xlsx``, which bounds the bytes inflated here."""
    largest = 0
    with zipfile.ZipFile(path) as archive:
        for entry in archive.infolist():
            if not _SHEET_PART.match(entry.filename):
                continue
            with archive.open(entry) as stream:
                area = _sheet_area(stream)
            if area is None:
                return None
            largest = max(largest, area)
    return largest


def _sheet_area(stream) -> int | None:
    rows = cells = row_refs = cell_refs = 0
    last_row = last_column = 0
    tail = b""
    while True:
        chunk = stream.read(_CHUNK)
        block = tail + chunk
        # Elements start with "<": keep the last, possibly cut, one for the next block.
        cut = block.rfind(b"<") if chunk else len(block)
        block, tail = block[:cut], block[cut:]
        if _PREFIXED.search(block):
            return None
        rows += len(_ROW.findall(block))
        found_rows = _ROW_REF.findall(block)
        row_refs += len(found_rows)
        cells += len(_CELL.findall(block))
        found_cells = _CELL_REF.findall(block)
        cell_refs += len(found_cells)
        if found_rows:
            last_row = max(last_row, max(int(r) for r in found_rows))
        if found_cells:
            letters = {letters for letters, _ in found_cells}
            widest = max(letters, key=lambda text: (len(text), text))
            last_column = max(last_column, _column_number(widest))
            last_row = max(last_row, max(int(n) for _, n in found_cells))
        if not chunk:
            break
    if rows != row_refs or cells != cell_refs:
        return None  # positions implied by order: bounding them would need a real parse
    return last_row * last_column


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class CalamineBook:
    """An .xlsx open with calamine: sheet names and each sheet's rows as openpyxl gives them."""

    def __init__(self, path: str) -> None:
        from python_calamine import CalamineWorkbook

        self._book = CalamineWorkbook.from_path(path)
        self.sheetnames: list[str] = list(self._book.sheet_names)

    def rows(self, sheet_name: str) -> Iterator[tuple[Any, ...]]:
        """Every row from row 1 on, gap rows included, cells from column A: as openpyxl's
        ``iter_rows(values_only=True)`` yields them (trailing blanks may differ)."""
        sheet = self._book.get_sheet_by_name(sheet_name)
        # iter_rows starts at row 1 but at the first used column: put the columns before back.
        padding = (None,) * (sheet.start[1] if sheet.height else 0)
        for values in sheet.iter_rows():
            # Most cells are text or empty: those are settled here, without a call per cell.
            yield padding + tuple(
                [
                    (value or None) if value.__class__ is str else cell_value(value)
                    for value in values
                ]
            )

    def close(self) -> None:
        self._book.close()


def cell_value(value: Any) -> Any:
    """A calamine cell as openpyxl reads it: "" → None, 3.0 → 3, a date → midnight datetime."""
    if value == "" and isinstance(value, str):
        return None
    if isinstance(value, float):
        if value.is_integer() and -_EXACT_INT < value < _EXACT_INT:
            return int(value)
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value
