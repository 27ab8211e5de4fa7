"""Cells exporters wrap to protect them are unwrapped, the same in CSV files and workbooks."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from chalicelib.imports.read.cells import MAX_CELL_CHARS, OverlongCell, read_cell
from chalicelib.imports.read.tables import read_table
from tests.unit.imports.read.conftest import data_file


@pytest.mark.parametrize(
    ("cell", "meant"),
    [
        ('="0398765432"', "0398765432"),
        ('="0810"', "0810"),
        ('= "000417"', "000417"),
        ('  ="0412 555 130"  ', "0412 555 130"),
        ('="Say ""hi"""', 'Say "hi"'),
        ('=""', ""),
        ("'0412 555 130", "0412 555 130"),
        ("'+61 3 9555 1301", "+61 3 9555 1301"),
        ("'3121", "3121"),
        ("'000417", "000417"),
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'-5", "-5"),
        ("'TRUE", "TRUE"),
        ("'2024-03-01", "2024-03-01"),
    ],
)
def test_protective_wrappers_are_undone(cell, meant):
    assert read_cell(cell) == meant


@pytest.mark.parametrize(
    "cell",
    ["'Tis the season", "'s-Hertogenbosch", "'quoted'", "=SUM(A1:A3)", 'a="b"', "O'Brien", 12.0],
)
def test_text_that_is_not_wrapped_stays_as_it_is(cell):
    assert read_cell(cell) == cell


def test_a_cell_longer_than_any_spreadsheet_holds_is_marked_with_a_short_preview():
    cell = read_cell("x" * (MAX_CELL_CHARS + 1))

    assert isinstance(cell, OverlongCell)
    assert cell.length == MAX_CELL_CHARS + 1
    assert "32,767" in cell.message
    assert len(str(cell)) < 100


def test_excel_equals_wrapper_csv_keeps_leading_zeros():
    table = read_table(data_file("realworld", "07-excel-equals-quote-wrapper.csv"), "07.csv")

    assert [values for _, values in table.rows()] == [
        ["Pellow Hardware", "0398765432", "0810", "000417"],
        ["Garside Pools", "0255501234", "2600", "000418"],
    ]


def test_apostrophe_prefixed_csv_loses_its_apostrophes():
    table = read_table(data_file("realworld", "13-apostrophe-prefixed-values.csv"), "13.csv")

    rows = [values for _, values in table.rows()]
    assert rows[0][1:3] == ["+61 3 9555 1301", "3121"]
    assert rows[1][1:3] == ["0412 555 130", "0872"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_wrapped_cells_quoted_in_csv_with_and_without_spaces(tmp_path, delimiter):
    d = delimiter
    text = (
        f"Name{d}Phone{d}Account{d}Postcode\n"
        f'Acme{d}"=""0398765432"""{d} ="000417"{d}\'0810\n'
        f"Bolt{d} '0412 555 130{d}=\"000418\"{d} '0872\n"
    )
    path = tmp_path / "wrapped.csv"
    path.write_text(text)

    rows = [values for _, values in read_table(str(path), "wrapped.csv").rows()]

    assert rows == [
        ["Acme", "0398765432", "000417", "0810"],
        ["Bolt", "0412 555 130", "000418", "0872"],
    ]


def test_wrapped_text_cells_in_a_workbook_are_unwrapped(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Phone", "Postcode", "Account"])
    sheet.append(["Acme", '="0398765432"', "'0810", '="000417"'])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # stored as text, as exporters write them (not formulas)
    path = tmp_path / "wrapped.xlsx"
    workbook.save(path)

    rows = [values for _, values in read_table(str(path), "wrapped.xlsx").rows()]

    assert rows == [["Acme", "0398765432", "0810", "000417"]]
