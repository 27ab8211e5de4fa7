"""Reading own-format files: encodings, delimiters, header rows, columns and Excel numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from chalicelib.imports.read.tables import read_table, restore_text


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "f.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def write_xlsx(tmp_path: Path, rows: list[list], name: str = "f.xlsx") -> str:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Clients"
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return str(path)


BASIC = (
    "Name,Email,Phone\n"
    "Café Plumbing,cafe@example.com,03 9999 1111\n"
    "O’Brien Electrical,ob@example.com,0412 345 678\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_text_reads_the_same_whatever_the_encoding(tmp_path, encoding):
    table = read_table(write_csv(tmp_path, BASIC, encoding), "f.csv")

    rows = list(table.rows())

    assert table.headers == ["Name", "Email", "Phone"]
    assert rows[0] == (2, ["Café Plumbing", "cafe@example.com", "03 9999 1111"])
    assert rows[1][1][0] == "O’Brien Electrical"


def test_cp1252_file_is_detected_as_cp1252(tmp_path):
    table = read_table(write_csv(tmp_path, BASIC, "cp1252"), "f.csv")

    assert table.encoding == "cp1252"


def test_utf16_big_endian_with_bom_is_read(tmp_path):
    path = tmp_path / "be.csv"
    path.write_bytes(b"\xfe\xff" + BASIC.encode("utf-16-be"))

    table = read_table(str(path), "be.csv")

    assert next(table.rows())[1][0] == "Café Plumbing"


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = BASIC.replace(",", delimiter)

    table = read_table(write_csv(tmp_path, text), "f.csv")

    assert table.delimiter == delimiter
    assert table.headers == ["Name", "Email", "Phone"]


def test_commas_inside_semicolon_separated_values_do_not_fool_the_sniffer(tmp_path):
    text = (
        "Name;Address;Notes\nAcme;12 Smith St, Richmond;gate code 1,2,3\nBeta;3 Low Rd, Kew;none\n"
    )

    table = read_table(write_csv(tmp_path, text), "f.csv")

    assert table.delimiter == ";"
    assert next(table.rows())[1] == ["Acme", "12 Smith St, Richmond", "gate code 1,2,3"]


def test_header_row_is_found_below_title_rows(tmp_path):
    text = "Customer list export\n,,\nName,Email,Phone\nAcme,a@example.com,0398765432\n"

    table = read_table(write_csv(tmp_path, text), "f.csv")

    assert table.header_row == 3
    assert table.headers == ["Name", "Email", "Phone"]
    assert list(table.rows()) == [(4, ["Acme", "a@example.com", "0398765432"])]


def test_duplicate_headers_are_kept_apart(tmp_path):
    text = "Name,Phone,Phone,phone\nAcme,1,2,3\n"

    table = read_table(write_csv(tmp_path, text), "f.csv")

    assert table.headers == ["Name", "Phone", "Phone (2)", "phone (3)"]


def test_first_row_of_data_means_no_headers(tmp_path):
    text = (
        "Acme Plumbing,acme@example.com,0412345678\nBeta Electrical,beta@example.com,0398765432\n"
    )

    table = read_table(write_csv(tmp_path, text), "f.csv")

    assert table.has_headers is False
    assert table.header_row == 0
    assert table.headers == ["Column A", "Column B", "Column C"]
    assert next(table.rows())[0] == 1


def test_has_headers_false_names_columns_by_letter_even_when_row_one_looks_like_headers(tmp_path):
    table = read_table(write_csv(tmp_path, BASIC), "f.csv", has_headers=False)

    assert table.headers == ["Column A", "Column B", "Column C"]
    assert next(table.rows()) == (1, ["Name", "Email", "Phone"])


def test_empty_rows_and_empty_columns_are_ignored_but_row_numbers_stay_real(tmp_path):
    text = "Name,,Email\n\nAcme,,a@example.com\n,,\nBeta,,b@example.com\n"

    table = read_table(write_csv(tmp_path, text), "f.csv")

    assert table.headers == ["Name", "Email"]
    assert table.columns == [0, 2]
    assert list(table.rows()) == [(3, ["Acme", "a@example.com"]), (5, ["Beta", "b@example.com"])]


def test_max_rows_stops_reading(tmp_path):
    text = "Name\n" + "".join(f"Customer {i}\n" for i in range(100))

    table = read_table(write_csv(tmp_path, text), "f.csv", max_rows=3)

    assert [n for n, _ in table.rows()] == [2, 3, 4]


def test_quoted_newline_stays_in_one_row(tmp_path):
    text = 'Name,Notes\nAcme,"line one\nline two"\nBeta,x\n'

    rows = list(read_table(write_csv(tmp_path, text), "f.csv").rows())

    assert rows[0] == (2, ["Acme", "line one\nline two"])
    assert rows[1][0] == 3


def test_xlsx_keeps_numbers_as_openpyxl_gives_them(tmp_path):
    path = write_xlsx(
        tmp_path,
        [["Client list"], [], ["Name", "Mobile", "Postcode"], ["Acme", 412345678, 800]],
    )

    table = read_table(path, "clients.xlsx")

    assert table.sheet == "Clients"
    assert table.header_row == 3
    assert table.headers == ["Name", "Mobile", "Postcode"]
    assert list(table.rows()) == [(4, ["Acme", 412345678, 800])]


def test_xlsx_named_sheet_is_read(tmp_path):
    workbook = Workbook()
    workbook.active.append(["ignored"])
    second = workbook.create_sheet("Customers")
    second.append(["Name", "Email"])
    second.append(["Acme", "a@example.com"])
    path = tmp_path / "two.xlsx"
    workbook.save(path)

    table = read_table(str(path), "two.xlsx", sheet="customers")

    assert table.headers == ["Name", "Email"]
    assert list(table.rows()) == [(2, ["Acme", "a@example.com"])]


def test_xlsx_unknown_sheet_is_an_error(tmp_path):
    path = write_xlsx(tmp_path, [["Name"], ["Acme"]])

    with pytest.raises(ValueError, match="no sheet named"):
        read_table(path, "f.xlsx", sheet="Nope")


@pytest.mark.parametrize(
    ("value", "field_type", "country", "expected"),
    [
        (412345678.0, "phone", "AU", "0412345678"),
        (412345678, "phone", "AU", "0412345678"),
        ("398765432", "phone", "AU", "0398765432"),
        (800.0, "postcode", "AU", "0800"),
        (3121.0, "postcode", "AU", "3121"),
        (2134, "postcode", "US", "02134"),
        (800.0, "postcode", "GB", "800"),
        (412345678.0, "phone", "US", "412345678"),
        (12345.0, "text", "AU", "12345"),
        (12.5, "text", "AU", "12.5"),
        (None, "text", "AU", None),
        (44927.0, "date", "AU", 44927.0),
    ],
)
def test_restore_text_undoes_excel_number_damage(value, field_type, country, expected):
    assert restore_text(value, field_type, country) == expected


def test_myob_style_tab_delimited_txt_is_read_as_csv(tmp_path):
    text = "Co./Last Name\tFirst Name\tAddr 1 - Line 1\nSmith\tJohn\t12 Smith St\n"

    table = read_table(write_csv(tmp_path, text, name="CUST.TXT"), "CUST.TXT")

    assert table.headers == ["Co./Last Name", "First Name", "Addr 1 - Line 1"]


def test_other_file_types_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"not a \.csv, \.txt, \.tsv, \.xlsx or \.xlsm file"):
        read_table(write_csv(tmp_path, "x", name="old.xls"), "old.xls")


def test_xlsx_with_a_wrong_dimension_tag_is_read_to_the_end(tmp_path):
    import re
    import zipfile

    path = write_xlsx(tmp_path, [["Name", "Email"], ["Acme", "a@example.com"], ["Beta", "b@x.io"]])
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', data)
            target.writestr(item, data)

    table = read_table(str(patched), "patched.xlsx")

    assert table.headers == ["Name", "Email"]
    assert [n for n, _ in table.rows()] == [2, 3]


def test_text_only_rows_that_repeat_values_are_data_not_headers(tmp_path):
    text = "Acme Plumbing,Richmond,VIC\nBeta Electrical,Kew,VIC\n"

    table = read_table(write_csv(tmp_path, text), "f.csv")

    assert table.has_headers is False
    assert [n for n, _ in table.rows()] == [1, 2]
