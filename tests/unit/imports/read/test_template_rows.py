"""The template reader unwraps cells as the own-format readers do."""

from __future__ import annotations

from chalicelib.imports.read.rows import rows_of, sheet_layout


def test_template_cells_wrapped_by_an_exporter_are_unwrapped():
    layout = sheet_layout("customers", "Customers", ["Customer Name", "Phone", "Notes"], "Customer")

    (row,) = rows_of(layout, [(2, ("Acme", '="0398765432"', "'=not a formula"))])

    assert row.fields == {"name": "Acme", "phone": "0398765432", "notes": "=not a formula"}
    assert row.values == ("Acme", '="0398765432"', "'=not a formula")  # as the user wrote them
