"""Rows stream with their sheet row numbers, blanks skipped, the row cap enforced, memory flat."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from chalicelib.xlsx.reader import iter_sheet_rows, read_header, sheet_names
from chalicelib.xlsx.safety import FileLimits, FileRejected, open_workbook
from tests.unit.xlsx.factories import inline_row, sheet_xml, write_raw_xlsx

LIMITS = FileLimits()


def save_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def opened(tmp_path: Path) -> Iterator:
    opened_books = []

    def open_(sheets: dict[str, list[list[object]]]):
        workbook = open_workbook(save_workbook(tmp_path / "book.xlsx", sheets), LIMITS)
        opened_books.append(workbook)
        return workbook

    yield open_
    for workbook in opened_books:
        workbook.close()


def test_sheet_names_come_in_tab_order(opened) -> None:
    workbook = opened({"Customers": [["Name"]], "Sites": [["Name"]], "Instructions": []})

    assert sheet_names(workbook) == ["Customers", "Sites", "Instructions"]


def test_the_header_is_row_one_as_text_without_trailing_blanks(opened) -> None:
    workbook = opened({"Customers": [["Name", " Email ", None, 2024, None, None], ["Acme"]]})

    assert read_header(workbook, "Customers") == ["Name", "Email", "", "2024"]


def test_rows_keep_their_sheet_numbers_and_blank_rows_are_skipped(opened) -> None:
    workbook = opened(
        {
            "Customers": [
                ["Name", "Email"],
                ["Acme", "office@acme.test"],
                [None, None],
                ["   ", ""],
                ["Bolt Electrical", None, None],
                [None, "orphan@bolt.test"],
            ]
        }
    )

    rows = list(iter_sheet_rows(workbook, "Customers", max_rows=10))

    assert rows == [
        (2, ("Acme", "office@acme.test")),
        (5, ("Bolt Electrical",)),
        (6, (None, "orphan@bolt.test")),
    ]


def test_values_keep_their_types(opened) -> None:
    when = dt.datetime(2024, 3, 1)
    workbook = opened({"Equipment": [["Installed", "Count"], [when, 3]]})

    assert list(iter_sheet_rows(workbook, "Equipment", max_rows=10)) == [(2, (when, 3))]


def test_reading_from_row_one_includes_the_header(opened) -> None:
    workbook = opened({"Data": [["Acme", 1], ["Bolt", 2]]})

    rows = list(iter_sheet_rows(workbook, "Data", max_rows=10, first_row=1))

    assert [number for number, _ in rows] == [1, 2]


def test_more_rows_than_allowed_is_refused_while_streaming(opened) -> None:
    workbook = opened({"Customers": [["Name"]] + [[f"Customer {n}"] for n in range(6)]})
    rows = iter_sheet_rows(workbook, "Customers", max_rows=5)

    taken = [next(rows) for _ in range(5)]
    with pytest.raises(FileRejected, match="more than 5 rows"):
        next(rows)
    assert taken[-1] == (6, ("Customer 4",))


def test_blank_rows_do_not_count_against_the_cap(opened) -> None:
    workbook = opened({"Customers": [["Name"], ["Acme"], [None], [None], ["Bolt"]]})

    assert len(list(iter_sheet_rows(workbook, "Customers", max_rows=2))) == 2


def test_a_lying_dimension_is_ignored(tmp_path: Path) -> None:
    sheet = sheet_xml(inline_row(1, "Name") + inline_row(2, "Acme")).replace(
        "<sheetData>", '<dimension ref="A1:XFD3"/><sheetData>'
    )
    workbook = open_workbook(write_raw_xlsx(tmp_path / "wide.xlsx", sheet), LIMITS)

    assert list(iter_sheet_rows(workbook, "Customers", max_rows=10)) == [(2, ("Acme",))]
    workbook.close()


def test_a_missing_sheet_is_a_file_problem(opened) -> None:
    workbook = opened({"Customers": [["Name"]]})

    with pytest.raises(FileRejected, match="no sheet named 'Sites'"):
        list(iter_sheet_rows(workbook, "Sites", max_rows=10))


@pytest.fixture(scope="module")
def fifty_thousand_rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Customers")
    sheet.append(["Name", "Email", "Phone", "Suburb", "Balance"])
    for n in range(50_000):
        sheet.append([f"Customer {n}", f"c{n}@example.test", "+61 2 9999 0000", "Newtown", n])
    book.save(path)
    return path


STREAM_AND_REPORT_PEAK = """
import resource, sys
from chalicelib.xlsx.reader import iter_sheet_rows
from chalicelib.xlsx.safety import FileLimits, open_workbook
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workbook = open_workbook(sys.argv[1], FileLimits())
count = sum(1 for _ in iter_sheet_rows(workbook, "Customers", max_rows=200_000))
grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(count, grown_kib)
"""


def test_streaming_fifty_thousand_rows_keeps_memory_small(fifty_thousand_rows: Path) -> None:
    # A fresh interpreter, so the peak is this read's own; tracemalloc would take 20 s here.
    result = subprocess.run(
        [sys.executable, "-c", STREAM_AND_REPORT_PEAK, str(fifty_thousand_rows)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    count, grown_kib = map(int, result.stdout.split())

    assert count == 50_000
    # Measured: ~7 MiB streaming; holding the 50k rows in a list instead grows it ~29 MiB.
    assert grown_kib < 15 * 1024, f"peak RSS grew {grown_kib / 1024:.1f} MiB"
