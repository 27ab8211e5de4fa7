"""The sheet read is the first visible one holding a table; the others are listed."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from chalicelib.imports.read.tables import SheetNotFound, read_table
from tests.unit.imports.read.conftest import data_file

NUMBERS_NOTE = (
    "This document was exported from Numbers. Each table was converted to an Excel worksheet. "
    "All other objects on each Numbers sheet were placed on separate worksheets."
)


def workbook(path: Path, sheets: list[tuple[str, list[list], str]]) -> str:
    book = Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    book.save(path)
    return str(path)


CLIENTS = [["Customer Name", "Phone"], ["Acme", "03 9555 1001"], ["Bolt", "03 9555 1002"]]


def test_a_hidden_first_sheet_is_not_read():
    table = read_table(data_file("realworld", "11-xlsx-hidden-first-sheet.xlsx"), "11.xlsx")

    assert table.sheet == "Clients"
    assert table.headers == ["Customer Name", "Phone", "State"]
    assert [s.to_dict() for s in table.sheets] == [
        {"name": "Lists", "visible": False, "state": "hidden", "rows": 4},
        {"name": "Clients", "visible": True, "state": "visible", "rows": 3},
    ]


def test_apple_numbers_export_summary_is_skipped(tmp_path):
    summary = [
        [NUMBERS_NOTE],
        [],
        ["Numbers Sheet Name", "Numbers Table Name", "Excel Worksheet Name"],
        ["Sheet 1", "Table 1", "Sheet 1 - Table 1"],
    ]
    path = workbook(
        tmp_path / "n.xlsx",
        [("Export Summary", summary, "visible"), ("Sheet 1 - Table 1", CLIENTS, "visible")],
    )

    table = read_table(path, "n.xlsx")

    assert table.sheet == "Sheet 1 - Table 1"
    assert [values for _, values in table.rows()][0] == ["Acme", "03 9555 1001"]


def test_an_empty_or_title_only_cover_sheet_is_skipped(tmp_path):
    cover = [["Customer list"], ["Prepared for the move to Sitebook"]]
    path = workbook(
        tmp_path / "c.xlsx",
        [("Empty", [], "visible"), ("Cover", cover, "visible"), ("Data", CLIENTS, "visible")],
    )

    table = read_table(path, "c.xlsx")

    assert table.sheet == "Data"
    assert [(s.name, s.rows) for s in table.sheets] == [("Empty", 0), ("Cover", 2), ("Data", 3)]


def test_a_one_column_list_is_read_when_nothing_else_is_there(tmp_path):
    path = workbook(tmp_path / "o.xlsx", [("Names", [["Name"], ["Acme"], ["Bolt"]], "visible")])

    assert read_table(path, "o.xlsx").headers == ["Name"]


def test_a_sheet_chosen_by_name_is_read_even_when_hidden(tmp_path):
    other = [["Supplier", "Email"], ["Parts Co", "parts@example.com"]]
    path = workbook(
        tmp_path / "s.xlsx", [("Clients", CLIENTS, "visible"), ("Suppliers", other, "hidden")]
    )

    table = read_table(path, "s.xlsx", sheet="suppliers")

    assert table.sheet == "Suppliers"
    assert table.headers == ["Supplier", "Email"]


def test_a_sheet_the_workbook_lacks_is_refused_naming_the_sheets(tmp_path):
    path = workbook(tmp_path / "s.xlsx", [("Clients", CLIENTS, "visible")])

    with pytest.raises(SheetNotFound, match="has no sheet named 'Nope' \\(it has Clients\\)"):
        read_table(path, "s.xlsx", sheet="Nope")
