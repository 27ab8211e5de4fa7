"""Real exports through the worker: sheets chosen, non-tables refused, names that break titles."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from tests.functional.test_own_format_import import create, pump
from tests.functional.test_template_import import deliver, record, s3_bytes

DATA = Path(__file__).parent.parent / "unit" / "imports" / "read" / "data"
CLIENTS = [["Customer Name", "Phone"], ["Acme Plumbing", "03 9555 1001"]]
SUPPLIERS = [["Supplier", "Email"], ["Parts Co", "parts@example.com"], ["Valve Hub", "v@ex.com"]]


def two_sheet_workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Lists"
    book.active.append(["NSW"])
    book.active.sheet_state = "hidden"
    for title, rows in (("Clients", CLIENTS), ("Suppliers", SUPPLIERS)):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_analysis_lists_sheets_and_start_reads_another_one(api, aws):
    import_id, key = create(api, aws, two_sheet_workbook(), file_name="book.xlsx")
    deliver(key)

    waiting = record(api, import_id)
    assert waiting["status"] == "needs_mapping", waiting["message"]
    assert waiting["analysis"]["sheet"] == "Clients"
    assert waiting["analysis"]["sheets"] == [
        {"name": "Lists", "visible": False, "state": "hidden", "rows": 1},
        {"name": "Clients", "visible": True, "state": "visible", "rows": 2},
        {"name": "Suppliers", "visible": True, "state": "visible", "rows": 3},
    ]

    unknown = api.post(f"/v1/imports/{import_id}/start", {"sheet": "Nope"})
    assert unknown.status == 422 and "Suppliers" in str(unknown.json)
    again = api.post(f"/v1/imports/{import_id}/start", {"sheet": "suppliers"})
    assert again.status == 202, again.json
    assert again.json["sheet"] == "Suppliers"
    pump(aws)

    reanalysed = record(api, import_id)
    assert reanalysed["status"] == "needs_mapping", reanalysed["message"]
    assert reanalysed["analysis"]["sheet"] == "Suppliers"
    assert reanalysed["analysis"]["headers"] == ["Supplier", "Email"]
    mapping = {
        "columns": [
            {"source": "Supplier", "field": "name"},
            {"source": "Email", "field": "email"},
        ]
    }
    assert api.post(f"/v1/imports/{import_id}/start", {"mapping": mapping}).status == 202
    pump(aws)

    done = record(api, import_id)
    assert done["status"] == "succeeded", done
    assert done["counts"]["customers"]["created"] == 2


def test_a_sheet_given_at_creation_is_read_with_its_mapping(api, aws):
    mapping = {"columns": [{"source": "Supplier", "field": "name"}]}
    import_id, key = create(
        api, aws, two_sheet_workbook(), file_name="book.xlsx", sheet="Suppliers", mapping=mapping
    )
    deliver(key)

    done = record(api, import_id)
    assert done["status"] == "succeeded", done["message"]
    assert done["sheet"] == "Suppliers"
    assert done["counts"]["customers"]["created"] == 2


def test_a_workbook_named_csv_is_imported_as_a_workbook(api, aws):
    body = (DATA / "realworld" / "15-xlsx-renamed-csv.csv").read_bytes()
    mapping = {"columns": [{"source": "Customer Name", "field": "name"}]}
    import_id, key = create(api, aws, body, file_name="export.csv", mapping=mapping)
    deliver(key)

    done = record(api, import_id)
    assert done["status"] == "succeeded", done["message"]
    assert done["counts"]["customers"]["created"] == 2


def test_a_pdf_uploaded_as_csv_fails_saying_it_is_a_pdf(api, aws):
    body = (DATA / "kinds" / "statement.pdf").read_bytes()
    import_id, key = create(api, aws, body, file_name="customers.csv")
    deliver(key)

    failed = record(api, import_id)
    assert failed["status"] == "failed"
    assert failed["message"].startswith("This is a PDF document, not a spreadsheet")
    assert failed["analysis"] is None


def test_a_cell_over_the_csv_field_limit_fails_its_row_and_the_file_goes_on(api, aws):
    body = (DATA / "realworld" / "09-cell-over-csv-field-limit.csv").read_bytes()
    mapping = {
        "columns": [
            {"source": "Customer Name", "field": "name"},
            {"source": "Notes", "field": "notes"},
        ]
    }
    import_id, key = create(api, aws, body, file_name="long.csv", mapping=mapping)
    deliver(key)

    done = record(api, import_id)
    assert done["status"] not in ("failed", "running"), done["message"]
    (error,) = done["errors"]
    assert (error["row"], error["column"]) == (2, "Notes")
    assert "32,767" in error["message"] and len(str(error["value"])) < 100


def test_a_file_name_that_breaks_sheet_titles_still_gets_its_error_workbook(api, aws):
    name = "Clients [2024]: final? *copy*.csv"
    body = b"Customer Name,Email\r\nAcme,acme@example.com\r\n,orphan@example.com\r\n"
    mapping = {
        "columns": [
            {"source": "Customer Name", "field": "name"},
            {"source": "Email", "field": "email"},
        ]
    }
    import_id, key = create(api, aws, body, file_name=name, mapping=mapping)
    deliver(key)

    done = record(api, import_id)
    assert done["status"] == "completed_with_errors", done["message"]
    assert done["errors"][0]["sheet"] == name
    book = openpyxl.load_workbook(io.BytesIO(s3_bytes(done["errors_url"])))
    assert book.sheetnames == ["Clients (2024)- final- -copy-.c"]
