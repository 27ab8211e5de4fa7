"""The value policy end to end: a template with bad cells, its warnings, and the fix uploaded."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from tests.functional.test_template_import import (
    deliver,
    record,
    s3_bytes,
    s3_json,
    stored,
    upload,
)

BAD_CELLS = {
    "customers": [
        {"Customer Name": "Acme PM", "Import ID": "PM-1", "Email": "accounts@@acme",
         "Phone": "0398765432"},
        {"Customer Name": "Beta Realty", "Payment Term": "Net 99", "Site Address Line 1":
         "1 High St", "Site State": "Qeensland", "Site Postcode": "3053"},
        {"Customer Name": "Gamma Strata", "On Hold": "maybe", "Notes": "Gate code 4411. " * 400},
    ],
    "sites": [{"Customer Name": "Flat 1", "Billing Customer": "PM-1", "Site Postcode": "30533"}],
    "contacts": [
        {"Customer Import ID or Name": "PM-1", "First Name": "Jo", "Email": "jo at acme"},
    ],
    "equipment": [
        {"Customer Import ID or Name": "Flat 1", "Equipment Name": "Hot water unit",
         "Equipment Type": "Hot Water", "Installation Date": "31/31/2020"},
    ],
}  # fmt: skip
# What the user types into the error workbook's warned rows: (sheet, name cell, column, fix).
FIXES = [
    ("Customers", "Acme PM", "Email", "accounts@acme.example"),
    ("Customers", "Beta Realty", "Payment Term", "30 EOM"),
    ("Customers", "Beta Realty", "Site State", "VIC"),
    ("Customers", "Gamma Strata", "On Hold", "Yes"),
    ("Customers", "Gamma Strata", "Notes", "Gate code 4411"),
    ("Sites", "Flat 1", "Site Postcode", "3053"),
    ("Contacts", "PM-1", "Email", "jo@acme.example"),
    ("Equipment", "Flat 1", "Installation Date", "31/01/2020"),
]


def make_payment_term(api) -> None:
    term = {"name": "30 EOM", "due_days": 30, "due_basis": "end_of_month"}
    assert api.post("/v1/lookups/payment-terms", term).status == 201


def upload_bytes(api, aws, content: bytes, name: str) -> tuple[str, str]:
    from chalicelib import aws as clients

    created = api.post("/v1/imports", {"source": "template", "file_name": name})
    assert created.status == 201, created.json
    key = created.json["upload"]["fields"]["key"]
    clients.client("s3").put_object(Bucket=aws.names.bucket, Key=key, Body=content)
    return created.json["id"], key


def test_bad_cells_cost_only_their_values_and_the_fixed_error_workbook_completes_them(
    api, aws, tmp_path: Path
):
    make_payment_term(api)
    import_id, key = upload(api, aws, BAD_CELLS, tmp_path=tmp_path)
    deliver(key)

    done = record(api, import_id)
    assert done["status"] == "completed_with_warnings", done["errors"]
    assert done["on_invalid_value"] == "skip_value"
    assert done["counts"] == {
        "customers": {"created": 3, "updated": 0, "unchanged": 0, "failed": 0, "warned": 3},
        "sites": {"created": 1, "updated": 0, "unchanged": 0, "failed": 0, "warned": 1},
        "contacts": {"created": 1, "updated": 0, "unchanged": 0, "failed": 0, "warned": 1},
        "equipment": {"created": 1, "updated": 0, "unchanged": 0, "failed": 0, "warned": 1},
    }
    assert done["errors"] == [] and done["errors_total"] == 0
    warned = {(w["sheet"], w["row"], w["column"]): w for w in done["warnings"]}
    assert done["warnings_total"] == len(warned) == 8
    assert warned[("Customers", 2, "Email")]["value"] == "accounts@@acme"
    assert "Net 99" in warned[("Customers", 3, "Payment Term")]["message"]
    assert warned[("Customers", 3, "Site State")]["value"] == "Qeensland"
    assert "too long" in warned[("Customers", 4, "Notes")]["message"]
    assert warned[("Sites", 2, "Site Postcode")]["value"] == "30533"
    assert warned[("Equipment", 2, "Installation Date")]["value"] == "31/31/2020"
    results = s3_json(done["results_url"])
    assert results["warnings_total"] == 8 and len(results["warnings"]) == 8
    assert results["errors"] == [] and results["counts"] == done["counts"]

    register = stored(api.tenant)
    by_name = {c["name"]: c for c in register.customers.values()}
    assert set(by_name) == {"Acme PM", "Beta Realty", "Gamma Strata", "Flat 1"}
    acme = by_name["Acme PM"]
    assert acme["email"] is None and acme["phone_e164"] == "+61398765432"
    assert by_name["Flat 1"]["billing"]["billing_customer_id"] == acme["id"]  # linked normally
    assert by_name["Beta Realty"]["site_address"]["line1"] == "1 High St"
    assert by_name["Beta Realty"]["payment_term_id"] is None

    book = openpyxl.load_workbook(io.BytesIO(s3_bytes(done["errors_url"])))
    customers = list(book["Customers"].iter_rows(values_only=True))
    assert customers[0][-2:] == ("Error", "Warning") and len(customers) == 4
    assert customers[1][0] == "Acme PM" and customers[1][-2] is None
    assert customers[1][-1].startswith("Email: ")
    assert sorted(book.sheetnames) == ["Contacts", "Customers", "Equipment", "Sites"]

    for sheet_name, who, column, value in FIXES:
        sheet = book[sheet_name]
        headers = [cell.value for cell in sheet[1]]
        (line,) = [r for r in sheet.iter_rows(min_row=2) if r[0].value == who]
        line[headers.index(column)].value = value
    fixed = io.BytesIO()
    book.save(fixed)
    again_id, again_key = upload_bytes(api, aws, fixed.getvalue(), "errors-fixed.xlsx")
    deliver(again_key, message_id="m-2")

    again = record(api, again_id)
    assert again["status"] == "succeeded", (again["errors"], again["warnings"])
    assert {t: c["updated"] for t, c in again["counts"].items()} == {
        "customers": 3, "sites": 1, "contacts": 1, "equipment": 1,
    }  # fmt: skip
    assert again["errors_url"] is None
    register = stored(api.tenant)
    by_name = {c["name"]: c for c in register.customers.values()}
    assert len(by_name) == 4
    assert by_name["Acme PM"]["email"] == "accounts@acme.example"
    assert by_name["Beta Realty"]["site_address"]["state"] == "VIC"
    assert by_name["Beta Realty"]["payment_term_id"] is not None
    assert by_name["Gamma Strata"]["on_hold"] is True
    assert by_name["Flat 1"]["site_address"]["postcode"] == "3053"
    ((contact,), (unit,)) = register.contacts.values(), register.equipment.values()
    assert contact["email"] == "jo@acme.example"
    assert unit["installation_date"] == "2020-01-31"


def test_a_failed_row_beside_warned_ones_completes_with_errors(api, aws, tmp_path: Path):
    rows = {
        "customers": [
            {"Customer Name": "Acme PM", "Email": "nope"},
            {"Customer Name": "ACME  pm", "Email": "ok@acme.example"},
        ]
    }
    import_id, key = upload(api, aws, rows, tmp_path=tmp_path)
    deliver(key)

    done = record(api, import_id)
    assert done["status"] == "completed_with_errors"
    assert done["counts"]["customers"] == {
        "created": 1, "updated": 0, "unchanged": 0, "failed": 1, "warned": 1,
    }  # fmt: skip
    assert [(e["row"], e["column"]) for e in done["errors"]] == [(3, "Customer Name")]
    assert [(w["row"], w["column"]) for w in done["warnings"]] == [(2, "Email")]
    book = openpyxl.load_workbook(io.BytesIO(s3_bytes(done["errors_url"])))
    error_and_warning = [row[-2:] for row in book["Customers"].iter_rows(values_only=True)]
    assert error_and_warning[0] == ("Error", "Warning")
    assert error_and_warning[1][0] is None and "Email" in error_and_warning[1][1]
    assert "row 2 of Customers" in error_and_warning[2][0] and error_and_warning[2][1] is None


def test_on_invalid_value_is_checked_on_imports_and_saved_mappings(api, aws):
    bad = api.post(
        "/v1/imports", {"source": "template", "file_name": "a.xlsx", "on_invalid_value": "ignore"}
    )
    assert bad.status == 422 and "on_invalid_value" in str(bad.json)

    strict = api.post(
        "/v1/imports", {"source": "template", "file_name": "a.xlsx", "on_invalid_value": "fail_row"}
    )
    assert strict.status == 201 and strict.json["on_invalid_value"] == "fail_row"
    assert api.get(f"/v1/imports/{strict.json['id']}").json["on_invalid_value"] == "fail_row"

    mapping = {"columns": [{"source": "Name", "field": "name"}], "on_invalid_value": "skip"}
    refused = api.post("/v1/mappings", {"name": "M", "headers": ["Name"], "mapping": mapping})
    assert refused.status == 422 and "on_invalid_value" in str(refused.json)
    saved = api.post(
        "/v1/mappings",
        {"name": "M", "headers": ["Name"], "mapping": {**mapping, "on_invalid_value": "fail_row"}},
    )
    assert saved.status == 201 and saved.json["mapping"]["on_invalid_value"] == "fail_row"
