"""Small builders of import rows for the stage tests: a sheet row, a customer row, layouts."""

from __future__ import annotations

from chalicelib.imports.read.rows import SheetRow, sheet_layout

SHEETS = {
    "customers": "Customers",
    "sites": "Sites",
    "contacts": "Contacts",
    "equipment": "Equipment",
}


def sheet_row(target: str, number: int, **fields) -> SheetRow:
    """A row of ``target``'s template sheet, its cells the given catalog fields in order."""
    return SheetRow(SHEETS[target], target, number, tuple(fields.values()), fields)


def customer_row(number: int = 2, **overrides) -> SheetRow:
    """A Customers sheet row named "Acme" unless ``overrides`` say otherwise."""
    return sheet_row("customers", number, **({"name": "Acme"} | overrides))


def template_layouts(customer_label: str = "Customer"):
    """Every template sheet's layout, its headers the catalog's labels."""
    from chalicelib.imports.catalog.fields import fields_for

    return [
        sheet_layout(t, SHEETS[t], [f.label for f in fields_for(t)], customer_label) for t in SHEETS
    ]
