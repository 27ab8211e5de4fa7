"""The kind of an upload comes from its content: a workbook named .csv is a workbook."""

from __future__ import annotations

import pytest

from chalicelib.imports.read.kinds import sniff_kind
from chalicelib.imports.read.tables import read_table
from chalicelib.xlsx.safety import FileRejected
from tests.unit.imports.read.conftest import data_file


def test_a_workbook_named_csv_is_read_as_a_workbook():
    path = data_file("realworld", "15-xlsx-renamed-csv.csv")

    table = read_table(path, "15.csv")

    assert sniff_kind(path).kind == "xlsx"
    assert table.headers == ["Customer Name", "Phone"]
    assert next(table.rows())[1] == ["Ormsby Plumbing", "02 9555 1501"]


@pytest.mark.parametrize(
    ("name", "kind", "says"),
    [
        ("statement.pdf", "pdf", "This is a PDF document, not a spreadsheet"),
        ("logo.png", "image", "This is a PNG image, not a spreadsheet"),
        ("random.bin", "binary", "binary data"),
        ("customers.csv.gz", "gzip", "gzip-compressed"),
        ("old-excel.xls", "xls", "old Excel 97–2003 workbook (.xls)"),
    ],
)
def test_a_file_that_is_no_table_is_refused_saying_what_it_looks_like(name, kind, says):
    path = data_file("kinds", name)

    assert sniff_kind(path).kind == kind
    with pytest.raises(FileRejected) as refused:
        read_table(path, "customers.csv")
    assert says in refused.value.message


def test_an_old_xls_asks_for_xlsx_or_csv():
    assert ".xlsx or CSV" in sniff_kind(data_file("kinds", "old-excel.xls")).message


@pytest.mark.parametrize("body", [b"", b"\r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(tmp_path, body):
    path = tmp_path / "empty.csv"
    path.write_bytes(body)

    with pytest.raises(FileRejected, match="empty"):
        read_table(str(path), "empty.csv")


def test_a_jpeg_and_a_zip_that_is_no_workbook_are_named(tmp_path):
    import zipfile

    jpeg = tmp_path / "photo.csv"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    archive = tmp_path / "bundle.csv"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("notes.txt", "hello")

    assert "JPEG image" in sniff_kind(str(jpeg)).message
    assert "zip archive" in sniff_kind(str(archive)).message


@pytest.mark.parametrize(
    "name", ["utf8.csv", "utf16-le-bom.csv", "cp1252.csv", "mac-roman-cr.csv", "latin1.csv"]
)
def test_text_in_every_encoding_we_read_is_text(name):
    assert sniff_kind(data_file("encodings", name)).kind == "text"
