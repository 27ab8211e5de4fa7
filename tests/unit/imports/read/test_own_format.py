"""Own-format rows: a table and a mapping become SheetRows that name their original columns."""

from __future__ import annotations

import pytest

from chalicelib.imports.mapping.columns import parse_mapping
from chalicelib.imports.read.own_format import own_format_source
from chalicelib.imports.read.tables import read_table
from chalicelib.xlsx.safety import FileRejected

CSV = "Title\r\n\r\nClient,Ph,Street\r\nAcme,398765432,12 Smith St\r\n,,\r\nBeta,,\r\n"
MAPPING = {
    "columns": [
        {"source": "Client", "field": "name"},
        {"source": "Ph", "field": "phone"},
        {"source": "Street", "field": "site_address.line1"},
    ]
}


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(CSV.encode("cp1252"))
    return read_table(str(path), "a.csv")


def test_rows_keep_file_row_numbers_restore_phones_and_name_original_columns(table):
    mapping = parse_mapping(MAPPING, table.headers)
    source = own_format_source(table, mapping, "a.csv", max_rows=10)
    (layout,), rows = source.layouts, list(source.rows())
    assert [(r.row, r.fields) for r in rows] == [
        (4, {"name": "Acme", "phone": "0398765432", "site_address.line1": "12 Smith St"}),
        (6, {"name": "Beta"}),
    ]
    assert layout.label_of("phone") == "Ph"
    assert layout.headers == ("Client", "Ph", "Street")
    assert list(source.rows(("contacts",))) == []  # only the mapping's target is in the file


def test_more_rows_than_allowed_reject_the_file(table):
    mapping = parse_mapping(MAPPING, table.headers)
    with pytest.raises(FileRejected):
        list(own_format_source(table, mapping, "a.csv", max_rows=1).rows())
