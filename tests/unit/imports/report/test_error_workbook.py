"""The error workbook: failed and warned rows, their original columns, the error and warning."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from chalicelib.imports.report.error_workbook import write_error_workbook


def test_error_workbook_has_the_original_columns_plus_the_error_and_the_warning(
    tmp_path: Path,
) -> None:
    path = tmp_path / "errors.xlsx"
    write_error_workbook(
        path,
        {
            "Sites": (
                ["Name", "Billing Customer", "Error", "Warning"],
                [
                    (
                        ["12 High St", "Nobody Pty Ltd", "old message", "old warning"],
                        "Unknown billing customer",
                        None,
                    ),
                    (["=cmd|' /C calc'!A0"], "Name is not allowed", None),
                    (["14 High St", "Acme"], None, "Email: is not a valid e-mail address"),
                ],
            )
        },
    )

    sheet = openpyxl.load_workbook(path)["Sites"]

    assert list(sheet.iter_rows(values_only=True)) == [
        ("Name", "Billing Customer", "Error", "Warning"),
        ("12 High St", "Nobody Pty Ltd", "Unknown billing customer", None),
        ("=cmd|' /C calc'!A0", None, "Name is not allowed", None),
        ("14 High St", "Acme", None, "Email: is not a valid e-mail address"),
    ]
    assert "Ignored when uploaded again" in sheet["C1"].comment.text
    assert "imported without these values" in sheet["D1"].comment.text
