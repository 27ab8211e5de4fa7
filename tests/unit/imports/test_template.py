"""Custom fields in the template: columns, dropdowns and reading them back (no AWS)."""

from __future__ import annotations

from chalicelib.domain.custom_fields import CustomFieldDefinition as Definition
from chalicelib.imports.catalog.fields import fields_for, template_custom_fields
from chalicelib.imports.template import template_sheets, write_filled_template

ZONE = Definition("zone", "Zone", "choice", ("North", "South"), required=True)
STRATA = Definition("strata", "Strata", "boolean")
UNITS = Definition("units", "Units", "number")
RETIRED = Definition("old_code", "Old Code", "text", active=False)
NOTES = Definition("notes", "Notes", "text")  # the same label as a standard column
DEFINITIONS = [ZONE, STRATA, UNITS, RETIRED, NOTES]


def read_back(path, definitions=DEFINITIONS):
    from chalicelib.imports.read.rows import template_source
    from chalicelib.xlsx.safety import FileLimits, open_workbook

    workbook = open_workbook(path, FileLimits())
    try:
        source = template_source(workbook, "Customer", max_rows=100, custom_fields=definitions)
        return source.layouts, list(source.rows())
    finally:
        workbook.close()


def test_only_active_custom_fields_get_a_column():
    assert template_custom_fields(DEFINITIONS) == [ZONE, STRATA, UNITS, NOTES]


def test_a_custom_field_named_like_a_standard_column_is_told_apart_by_its_key():
    labels = [f.label for f in fields_for("customers", "Customer", [NOTES])]
    assert labels.count("Notes") == 1 and labels[-1] == "Notes (notes)"


def test_customer_sheets_carry_the_active_custom_fields_with_dropdowns_and_required_marks():
    sheets = {s.name: s for s in template_sheets("Client", {}, DEFINITIONS)}

    for name in ("Clients", "Sites"):
        sheet = sheets[name]
        assert list(sheet.headers[-4:]) == ["Zone", "Strata", "Units", "Notes (notes)"]
        assert "Old Code" not in sheet.headers
        assert sheet.dropdowns["Zone"] == ("North", "South")
        assert sheet.dropdowns["Strata"] == ("Yes", "No")
        assert "Units" not in sheet.dropdowns  # numbers are checked by the importer
        assert "Zone" in sheet.required and "Strata" not in sheet.required
    for name in ("Contacts", "Equipment"):
        assert "Zone" not in sheets[name].headers


def test_custom_field_columns_are_read_back_into_custom_field_values(tmp_path):
    path = tmp_path / "filled.xlsx"
    rows = {
        "customers": [
            {"Customer Name": "Acme", "Zone": "south", "Units": 12, "Notes (notes)": "gate"},
        ],
        "sites": [{"Customer Name": "Unit 4", "Billing Customer": "Acme", "Strata": "Yes"}],
    }
    write_filled_template(path, rows, custom_fields=DEFINITIONS)

    layouts, read = read_back(path)

    assert read[0].fields == {
        "name": "Acme",
        "custom_fields.zone": "south",
        "custom_fields.units": 12,
        "custom_fields.notes": "gate",
    }
    assert read[1].fields["custom_fields.strata"] == "Yes"


def test_a_column_of_a_retired_custom_field_is_ignored(tmp_path):
    path = tmp_path / "old.xlsx"
    write_filled_template(
        path,
        {"customers": [{"Customer Name": "Acme", "Old Code": "X1"}]},
        custom_fields=[Definition("old_code", "Old Code", "text")],  # active when written
    )

    layouts, read = read_back(path)

    assert read[0].fields == {"name": "Acme"}
    assert "Old Code" in layouts[0].headers and layouts[0].columns[-1] is None
