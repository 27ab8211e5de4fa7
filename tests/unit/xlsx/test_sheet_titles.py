"""Sheet titles every spreadsheet accepts, whatever name they came from."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from chalicelib.xlsx.writer import SheetSpec, sheet_title, write_workbook


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Clients [2024].csv", "Clients (2024).csv"),
        ("a:b*c?d/e\\f.csv", "a-b-c-d-e-f.csv"),
        ("'quoted'", "quoted"),
        ("", "Sheet"),
        ("x" * 40, "x" * 31),
    ],
)
def test_forbidden_characters_go_and_long_names_are_cut(name, title):
    assert sheet_title(name) == title


def test_titles_that_collide_after_cleaning_are_numbered():
    assert sheet_title("Report?", ["report-"]) == "Report- (2)"
    assert sheet_title("y" * 40, ["y" * 31]) == "y" * 27 + " (2)"


def test_a_workbook_with_such_names_is_written_and_opens(tmp_path):
    path = tmp_path / "w.xlsx"
    specs = [SheetSpec("Jobs [old]: 1/2", ["A"], [["x"]]), SheetSpec("Jobs (old)- 1-2", ["A"])]

    write_workbook(path, specs)

    assert load_workbook(path).sheetnames == ["Jobs (old)- 1-2", "Jobs (old)- 1-2 (2)"]
