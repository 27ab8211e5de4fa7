"""calamine reads the same rows as openpyxl, and is only handed grids it can hold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from chalicelib.xlsx.calamine import MAX_CELL_AREA, CalamineBook, cell_area_bound
from chalicelib.xlsx.reader import iter_sheet_rows, read_header
from chalicelib.xlsx.safety import FileLimits, open_rows_workbook
from tests.unit.xlsx.factories import inline_row, sheet_xml, write_raw_xlsx

REALWORLD = Path(__file__).resolve().parents[1] / "imports" / "read" / "data" / "realworld"


def rows_by_both(path: Path) -> tuple[dict, dict]:
    """Every sheet's header and rows as the importer reads them, through openpyxl and calamine."""
    read = []
    with open(path, "rb") as handle:  # openpyxl goes by the name; a workbook may be ".csv"
        by_openpyxl = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        for book in (by_openpyxl, CalamineBook(str(path))):
            read.append(
                {
                    name: (read_header(book, name), list(iter_sheet_rows(book, name, max_rows=99)))
                    for name in book.sheetnames
                }
            )
            book.close()
    return read[0], read[1]


def typed_workbook(path: Path) -> Path:
    """Numbers, dates, times, booleans, text that looks numeric, gaps and an offset table."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Customers"
    sheet.append(["Name", "Count", "Ratio", "Phone", "Joined", "At", "Opens", "Active", "Notes"])
    sheet.append(
        ["Café Ünï", 3, 1.5, "0412 345 678", dt.date(2021, 3, 4),
         dt.datetime(2021, 3, 4, 5, 6, 7), dt.time(7, 30), True, "line one\nline two"]
    )  # fmt: skip
    sheet.append(["Big", 123456789012345, 0.1 + 0.2, 412345678, None, None, None, False, " x "])
    sheet.append([])  # a gap row keeps its number
    sheet.append(["'0398", -2, 1e-9, "+61 3 9123 4567", None, None, None, None, "=not a formula"])
    sheet["A7"] = 44000
    sheet["A7"].number_format = "dd/mm/yyyy"
    sheet["B7"] = 0.25
    sheet["B7"].number_format = "0%"
    sheet["C7"] = 3
    sheet["C7"].number_format = "@"
    offset = book.create_sheet("Sites")
    offset["C3"], offset["D3"], offset["C4"] = "Customer Name", "Site Suburb", "12 Smith St"
    hidden = book.create_sheet("Lists")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "Residential"
    book.save(path)
    return path


def filled_template(path: Path) -> Path:
    from chalicelib.imports.template import write_filled_template

    write_filled_template(
        path,
        {
            "customers": [
                {"Customer Name": "Acme", "Import ID": "C-1", "Phone": "03 9123 4567",
                 "Site Postcode": "3053", "Email": "a@acme.example"},
                {"Customer Name": "Zed", "Notes": "x" * 5000},
            ],
            "equipment": [
                {"Customer Import ID or Name": "Acme", "Equipment Name": "Split",
                 "Equipment Type": "AC", "Installation Date": dt.date(2021, 3, 4)},
            ],
        },
    )  # fmt: skip
    return path


@pytest.mark.parametrize(
    "make",
    [
        typed_workbook,
        filled_template,
        lambda path: REALWORLD / "11-xlsx-hidden-first-sheet.xlsx",
        lambda path: REALWORLD / "15-xlsx-renamed-csv.csv",
    ],
    ids=["typed", "template", "hidden-first-sheet", "renamed-csv"],
)
def test_calamine_reads_every_sheet_as_openpyxl_does(make, tmp_path):
    path = make(tmp_path / "book.xlsx")
    by_openpyxl, by_calamine = rows_by_both(path)
    assert by_calamine == by_openpyxl
    assert any(rows for _, rows in by_openpyxl.values())


def test_values_keep_their_types_and_row_numbers(tmp_path):
    book = CalamineBook(str(typed_workbook(tmp_path / "typed.xlsx")))
    rows = dict(iter_sheet_rows(book, "Customers", max_rows=100))
    assert rows[2][1:5] == (3, 1.5, "0412 345 678", dt.datetime(2021, 3, 4))
    assert rows[3][1] == 123456789012345 and rows[3][3] == 412345678
    assert 4 not in rows and rows[5][0] == "'0398"
    assert rows[7] == (dt.datetime(2020, 6, 18), 0.25, 3)
    assert list(iter_sheet_rows(book, "Sites", max_rows=10)) == [
        (3, (None, None, "Customer Name", "Site Suburb")),
        (4, (None, None, "12 Smith St")),
    ]


def test_a_sheet_whose_grid_is_too_large_to_hold_is_read_by_openpyxl(tmp_path):
    far = (
        inline_row(1, "Name")
        + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>z</t></is></c></row>'
    )
    path = write_raw_xlsx(tmp_path / "far.xlsx", sheet_xml(far))
    assert cell_area_bound(str(path)) == 1_048_576 * 16_384 > MAX_CELL_AREA
    book = open_rows_workbook(path, FileLimits())
    try:
        assert not isinstance(book, CalamineBook)
        assert read_header(book, "Customers") == ["Name"]
    finally:
        book.close()


def test_cells_placed_by_order_alone_are_not_bounded_so_openpyxl_reads_them(tmp_path):
    unplaced = "<row>" + "<c/>" * 5 + '<c t="inlineStr"><is><t>x</t></is></c></row>'
    path = write_raw_xlsx(tmp_path / "unplaced.xlsx", sheet_xml(unplaced))
    assert cell_area_bound(str(path)) is None
    book = open_rows_workbook(path, FileLimits())
    try:
        assert not isinstance(book, CalamineBook)
    finally:
        book.close()


def test_an_ordinary_workbook_is_read_by_calamine(tmp_path):
    path = typed_workbook(tmp_path / "typed.xlsx")
    assert cell_area_bound(str(path)) == 7 * 9
    book = open_rows_workbook(path, FileLimits())
    try:
        assert isinstance(book, CalamineBook)
    finally:
        book.close()
