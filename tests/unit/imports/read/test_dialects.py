"""CSV dialects of real exports: spaces before quoted fields, giant cells, sep= lines."""

from __future__ import annotations

import pytest

from chalicelib.imports.read.cells import OverlongCell
from chalicelib.imports.read.tables import read_table
from tests.unit.imports.read.conftest import data_file


def test_spaces_after_the_comma_do_not_turn_quoting_off():
    table = read_table(data_file("realworld", "10-space-after-comma-quotes.csv"), "10.csv")

    assert table.headers == ["Customer Name", "Site Address", "Phone"]
    assert [values for _, values in table.rows()] == [
        ["Harrow Glass", "7 Mill Lane, Unit 2", "03 9555 1001"],
        ["Linton Signs", "22 Dock Rd", "03 9555 1002"],
    ]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_spaces_after_other_delimiters_before_quoted_fields(tmp_path, delimiter):
    d = delimiter
    path = tmp_path / "f.csv"
    path.write_text(
        f'Name{d}  Address{d} Phone\nAcme{d}  "1 Main St{d} Unit 2"{d} "03 9555 1001"\n'
    )

    (row,) = read_table(str(path), "f.csv").rows()

    assert row[1] == ["Acme", f"1 Main St{d} Unit 2", "03 9555 1001"]


def test_a_cell_over_pythons_field_limit_is_marked_and_the_file_goes_on():
    table = read_table(data_file("realworld", "09-cell-over-csv-field-limit.csv"), "09.csv")

    rows = list(table.rows())

    assert [number for number, _ in rows] == [2, 3]
    assert isinstance(rows[0][1][2], OverlongCell)
    assert rows[1][1] == ["Marlow Dental", "marlow.dental@example.com", "Side entrance"]


def test_a_quote_left_open_swallowing_rows_says_so(tmp_path):
    lines = "".join(f"Row {n},x{n}@example.com\n" for n in range(3000))
    path = tmp_path / "open.csv"
    path.write_text(f'Name,Email\nAcme,"acme@example.com\n{lines}')

    (row,) = read_table(str(path), "open.csv").rows()

    assert "quote is probably left open" in row[1][1].message


def test_a_sep_line_still_names_the_delimiter(tmp_path):
    path = tmp_path / "sep.csv"
    path.write_text('sep=;\nName;Phone\nAcme;"03 9555 1001"\nBolt;03 9555 1002\n')

    table = read_table(str(path), "sep.csv")

    assert table.delimiter == ";"
    assert table.headers == ["Name", "Phone"]
    assert [values for _, values in table.rows()][0] == ["Acme", "03 9555 1001"]
