"""The mapping an error workbook was made with: written as document properties, read back."""

from __future__ import annotations

import json
from types import SimpleNamespace

from chalicelib.imports.mapping.recorded import recorded_in, recording_properties
from chalicelib.imports.report.error_workbook import write_error_workbook

MAPPING = {"target": "customers", "has_headers": True,
           "columns": [{"source": "Client", "field": "name"}]}  # fmt: skip


def test_an_own_format_error_workbook_names_its_import_and_mapping(tmp_path):
    item = SimpleNamespace(id="imp-1", source="own_format", mapping=MAPPING)
    path = tmp_path / "errors.xlsx"
    sheets = {"list.csv": (["Client", "Email"], [(["Acme", "nope"], "Email: invalid", None)])}
    write_error_workbook(path, sheets, recording_properties(item))

    assert recorded_in(str(path)) == {"import_id": "imp-1", "mapping": MAPPING}


def test_other_workbooks_record_nothing(tmp_path):
    template = SimpleNamespace(id="imp-2", source="template", mapping=None)
    assert recording_properties(template) == {}
    path = tmp_path / "plain.xlsx"
    write_error_workbook(path, {"s": (["A"], [(["x"], "bad", None)])})
    assert recorded_in(str(path)) is None
    not_a_zip = tmp_path / "broken.xlsx"
    not_a_zip.write_bytes(b"PK\x03\x04 not really")
    assert recorded_in(str(not_a_zip)) is None


def test_a_damaged_mapping_property_still_names_the_import(tmp_path):
    path = tmp_path / "errors.xlsx"
    properties = {"Sitebook import": "imp-3", "Sitebook mapping": json.dumps(MAPPING)[:20]}
    write_error_workbook(path, {"s": (["A"], [(["x"], "bad", None)])}, properties)
    assert recorded_in(str(path)) == {"import_id": "imp-3", "mapping": None}
