"""Written workbooks read back with the right headers, styling, dropdowns, dates and inert text."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from chalicelib.xlsx.writer import (
    REQUIRED_FILL,
    SheetSpec,
    instructions_sheet,
    write_workbook,
)

HOSTILE_TEXTS = ["=1+1", "=HYPERLINK(\"http://evil.test\")", "+61 2 9999 0000", "-5", "@SUM(A1)",
                 "\tTabbed", "=", "-"]  # fmt: skip


def customers_spec(**changes) -> SheetSpec:
    spec = dict(
        name="Customers",
        headers=["Name", "Customer Type", "Email", "Payment Term"],
        rows=[["Acme Plumbing", "Commercial", "office@acme.test", "30 days"]],
        required={"Name"},
        dropdowns={"Customer Type": ["Commercial", "Residential"], "Payment Term": "terms"},
        comments={"Email": "One address only"},
    )
    spec.update(changes)
    return SheetSpec(**spec)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "template.xlsx"
    write_workbook(
        path,
        [customers_spec(), instructions_sheet("How to import", ["Fill one row per customer."])],
        lists={"terms": [f"Term {n:03d} with a long descriptive name" for n in range(40)]},
    )
    return path


def test_headers_are_exact_labels_in_bold_with_the_header_frozen(template: Path) -> None:
    sheet = openpyxl.load_workbook(template)["Customers"]

    assert [cell.value for cell in sheet[1]] == ["Name", "Customer Type", "Email", "Payment Term"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[2]] == [
        "Acme Plumbing",
        "Commercial",
        "office@acme.test",
        "30 days",
    ]


def test_required_headers_are_filled_and_commented_not_renamed(template: Path) -> None:
    name, customer_type, email, _ = openpyxl.load_workbook(template)["Customers"][1]

    assert name.value == "Name"
    assert name.fill.fgColor.rgb == REQUIRED_FILL
    assert name.comment.text == "Required"
    assert customer_type.fill.fill_type is None and customer_type.comment is None
    assert email.comment.text == "One address only"


def test_dropdowns_point_at_named_ranges_on_a_hidden_lists_sheet(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    validations = {str(dv.sqref): dv for dv in book["Customers"].data_validations.dataValidation}

    assert set(validations) == {"B2:B1048576", "D2:D1048576"}
    assert all(dv.type == "list" and dv.allow_blank for dv in validations.values())
    assert validations["B2:B1048576"].formula1 == "list_customers_customer_type"
    assert validations["D2:D1048576"].formula1 == "list_terms"
    assert book["Lists"].sheet_state == "hidden"
    assert book.defined_names["list_customers_customer_type"].attr_text == "'Lists'!$A$2:$A$3"
    assert book.defined_names["list_terms"].attr_text == "'Lists'!$B$2:$B$41"
    terms = [row[0] for row in book["Lists"].iter_rows(min_col=2, max_col=2, values_only=True)]
    assert terms[0] == "list_terms" and len(terms) == 41
    assert sum(len(term) + 1 for term in terms[1:]) > 255  # past the inline-list limit


def test_an_unknown_list_name_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown list 'terms'"):
        write_workbook(tmp_path / "t.xlsx", [customers_spec()])


def test_formula_looking_text_round_trips_as_text_and_is_never_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    write_workbook(path, [SheetSpec("Notes", ["Note"], rows=[[text] for text in HOSTILE_TEXTS])])

    read_back = [row[0] for row in openpyxl.load_workbook(path)["Notes"].iter_rows(min_row=2)]
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()

    assert [cell.value for cell in read_back] == HOSTILE_TEXTS
    assert all(cell.data_type == "s" for cell in read_back)
    assert all(cell.quotePrefix for cell in read_back)
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    read_only = openpyxl.load_workbook(path, read_only=True, data_only=True)
    assert [row[0] for row in read_only["Notes"].iter_rows(min_row=2, values_only=True)] == (
        HOSTILE_TEXTS
    )


def test_a_leading_carriage_return_stays_inert_text_but_reads_back_as_a_line_feed(
    tmp_path: Path,
) -> None:
    # XML parsers turn a raw CR into LF (XML 1.0 section 2.11); openpyxl writes it raw.
    path = tmp_path / "export.xlsx"
    write_workbook(path, [SheetSpec("Notes", ["Note"], rows=[["\r=1+1"]])])

    cell = openpyxl.load_workbook(path)["Notes"]["A2"]

    assert cell.value == "\n=1+1" and cell.data_type == "s" and cell.quotePrefix


def test_plain_text_carries_no_quote_prefix(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    write_workbook(path, [SheetSpec("Notes", ["Note"], rows=[["Call before 9am"]])])

    cell = openpyxl.load_workbook(path)["Notes"]["A2"]

    assert cell.value == "Call before 9am" and not cell.quotePrefix


def test_dates_are_written_as_dates(tmp_path: Path) -> None:
    path = tmp_path / "equipment.xlsx"
    installed = dt.date(2023, 11, 5)
    serviced = dt.datetime(2024, 2, 1, 13, 30, tzinfo=dt.timezone(dt.timedelta(hours=10)))
    write_workbook(
        path, [SheetSpec("Equipment", ["Installed", "Serviced"], [[installed, serviced]])]
    )

    installed_cell, serviced_cell = openpyxl.load_workbook(path)["Equipment"][2]

    assert installed_cell.is_date and installed_cell.number_format == "yyyy-mm-dd"
    assert installed_cell.value == dt.datetime(2023, 11, 5)
    assert serviced_cell.is_date and serviced_cell.value == dt.datetime(2024, 2, 1, 3, 30)


def test_instructions_are_a_title_and_bullets(template: Path) -> None:
    sheet = openpyxl.load_workbook(template)["Instructions"]

    assert [row[0] for row in sheet.iter_rows(values_only=True)] == [
        "How to import",
        "• Fill one row per customer.",
    ]
    assert sheet["A1"].font.bold and sheet.freeze_panes is None


WRITE_AND_REPORT_PEAK = """
import resource, sys
from chalicelib.xlsx.writer import SheetSpec, write_workbook
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = ([f"Customer {n}", f"=c{n}@example.test", n, "Newtown"] for n in range(50_000))
spec = SheetSpec("Customers", ["Name", "Email", "Number", "Suburb"], rows, required={"Name"})
write_workbook(sys.argv[1], [spec])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_writing_fifty_thousand_rows_keeps_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    result = subprocess.run(
        [sys.executable, "-c", WRITE_AND_REPORT_PEAK, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    grown_kib = int(result.stdout)

    assert grown_kib < 15 * 1024, f"peak RSS grew {grown_kib / 1024:.1f} MiB"
    book = openpyxl.load_workbook(path, read_only=True)
    last = list(book["Customers"].iter_rows(min_row=50_001, values_only=True))
    assert last == [("Customer 49999", "=c49999@example.test", 49999, "Newtown")]
