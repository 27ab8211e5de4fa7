"""Own format, the newcomer's way: accept our suggestion in one call, start with a saved
mapping, and fix the error workbook and upload it again with the mapping that made it."""

from __future__ import annotations

import io

import openpyxl

from tests.functional.test_own_format_import import create, pump, stored_customers
from tests.functional.test_template_import import deliver, record, s3_bytes

# Headers our suggester cannot read: only the mapping recorded in the error workbook can.
ODD_HEADERS = ["Who", "Where Exactly", "E"]
ODD_MAPPING = {
    "target": "customers",
    "columns": [
        {"source": "Who", "field": "name"},
        {"source": "Where Exactly", "field": "site_address.line1"},
        {"source": "E", "field": "email"},
    ],
}


def csv_of(headers: list[str], rows: list[list[str]]) -> bytes:
    lines = [",".join(headers), *(",".join(f'"{v}"' for v in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_posting_the_analysis_mapping_back_imports_with_the_proposed_splits(api, aws):
    body = csv_of(
        ["Full Name", "Address", "Email"],
        [
            ["Jo Bloggs", "12 Smith St, Richmond VIC 3121", "jo@example.com"],
            ["Ann van der Berg", "4 Long Rd, Carlton VIC 3053", "ann@example.com"],
        ],
    )
    import_id, key = create(api, aws, body, file_name="people.csv")
    deliver(key)
    waiting = record(api, import_id)
    assert waiting["status"] == "needs_mapping" and waiting["target"] == "customers"

    started = api.post(f"/v1/imports/{import_id}/start", waiting["analysis"]["mapping"])
    assert started.status == 202, started.json
    assert pump(aws) == 1

    done = record(api, import_id)
    assert done["status"] == "succeeded", (done["message"], done["errors"])
    assert done["counts"]["customers"]["created"] == 2
    ann = stored_customers(api.tenant)["Ann van der Berg"]
    assert (ann["first_name"], ann["last_name"]) == ("Ann", "van der Berg")
    assert (ann["site_address"]["line1"], ann["site_address"]["suburb"]) == ("4 Long Rd", "Carlton")
    assert (ann["site_address"]["state"], ann["site_address"]["postcode"]) == ("VIC", "3053")


def test_start_takes_a_saved_mapping_by_id_and_the_record_names_it(api, aws):
    saved = api.post(
        "/v1/mappings", {"name": "Odd list", "headers": ODD_HEADERS, "mapping": ODD_MAPPING}
    ).json
    body = csv_of(ODD_HEADERS + ["Extra"], [["Acme", "1 High St", "a@example.com", "x"]])
    import_id, key = create(api, aws, body, file_name="odd.csv")
    deliver(key)
    assert record(api, import_id)["status"] == "needs_mapping"  # an added column: no match

    both = api.post(
        f"/v1/imports/{import_id}/start", {"mapping_id": saved["id"], "mapping": ODD_MAPPING}
    )
    assert both.status == 422
    assert api.post(f"/v1/imports/{import_id}/start", {"mapping_id": "nope"}).status == 404
    started = api.post(f"/v1/imports/{import_id}/start", {"mapping_id": saved["id"]})
    assert started.status == 202, started.json
    assert started.json["mapping_used"]["matched_by"] == "mapping_id"
    pump(aws)

    done = record(api, import_id)
    assert done["status"] == "succeeded", done["message"]
    assert done["mapping_id"] == saved["id"] and done["target"] == "customers"
    assert stored_customers(api.tenant)["Acme"]["site_address"]["line1"] == "1 High St"


def test_a_fixed_error_workbook_imports_again_with_the_mapping_that_made_it(api, aws):
    rows = [
        ["Acme", "1 High St", "acme@example.com"],
        ["", "2 Low St", "nameless@example.com"],  # no name: the row fails
        ["Bright", "3 Mid St", "bright@example.com"],
    ]
    first, key = create(api, aws, csv_of(ODD_HEADERS, rows), file_name="odd.csv")
    deliver(key)
    assert api.post(f"/v1/imports/{first}/start", {"mapping": ODD_MAPPING}).status == 202
    pump(aws)
    done = record(api, first)
    assert done["status"] == "completed_with_errors", done["message"]
    assert done["counts"]["customers"]["created"] == 2

    book = openpyxl.load_workbook(io.BytesIO(s3_bytes(done["errors_url"])))
    sheet = book.active
    assert [c.value for c in sheet[1]][: len(ODD_HEADERS)] == ODD_HEADERS
    assert sheet.cell(2, 2).value == "2 Low St"
    sheet.cell(2, 1).value = "Nameless Pty Ltd"  # the user's fix, saved by a spreadsheet app
    fixed = io.BytesIO()
    book.save(fixed)

    again, key2 = create(api, aws, fixed.getvalue(), file_name="errors-odd.xlsx")
    deliver(key2, message_id="m-2")

    rerun = record(api, again)
    assert rerun["status"] == "succeeded", (rerun["message"], rerun["errors"])
    assert rerun["mapping_used"]["matched_by"] == "error_workbook"
    assert rerun["mapping_used"]["import_id"] == first
    assert rerun["counts"]["customers"]["created"] == 1
    nameless = stored_customers(api.tenant)["Nameless Pty Ltd"]
    assert nameless["site_address"]["line1"] == "2 Low St"
    assert nameless["email"] == "nameless@example.com"


def test_another_tenants_error_workbook_runs_with_its_own_copy_of_the_mapping(api, aws):
    rows = [["", "2 Low St", "nameless@example.com"]]
    first, key = create(api, aws, csv_of(ODD_HEADERS, rows), file_name="odd.csv")
    deliver(key)
    api.post(f"/v1/imports/{first}/start", {"mapping": ODD_MAPPING})
    pump(aws)
    book = openpyxl.load_workbook(io.BytesIO(s3_bytes(record(api, first)["errors_url"])))
    book.active.cell(2, 1).value = "Passed On Pty Ltd"
    fixed = io.BytesIO()
    book.save(fixed)

    other = api.as_(tenant=f"{api.tenant}-b")
    again, key2 = create(other, aws, fixed.getvalue(), file_name="from a colleague.xlsx")
    deliver(key2, message_id="m-2")

    rerun = record(other, again)
    assert rerun["status"] == "succeeded", rerun["message"]
    assert rerun["mapping_used"] == {
        "id": None, "name": None, "matched_by": "error_workbook", "import_id": first,
    }  # fmt: skip
    assert "Passed On Pty Ltd" in stored_customers(other.tenant)
