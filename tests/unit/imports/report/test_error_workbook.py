"""The error workbook: failed rows with their original columns and why each was not imported."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from chalicelib.imports.report.error_workbook import write_error_workbook


def test_error_workbook_has_the_original_columns_plus_the_error(tmp_path: Path) -> None:
    path = tmp_path / "errors.xlsx"
    write_error_workbook(
        path,
        {
            "Sites": (
                ["Name", "Billing Customer", "Error"],
                [
                    (["12 High St", "Nobody Pty Ltd", "old message"], "Unknown billing customer"),
                    (["=cmd|' /C calc'!A0"], "Name is not allowed"),
                ],
            )
        },
    )

    sheet = openpyxl.load_workbook(path)["Sites"]

    assert list(sheet.iter_rows(values_only=True)) == [
        ("Name", "Billing Customer", "Error"),
        ("12 High St", "Nobody Pty Ltd", "Unknown billing customer"),
        ("=cmd|' /C calc'!A0", None, "Name is not allowed"),
    ]
    assert "Ignored when uploaded again" in sheet["C1"].comment.text
