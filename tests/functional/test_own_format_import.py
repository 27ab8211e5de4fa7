"""Own-format import end to end: a MYOB export analysed, mapped, saved, reused and dropped."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl

from tests.functional.test_template_import import (
    FakeContext,
    deliver,
    record,
    runner,
    s3_bytes,
    s3_json,
)
from tests.problems import assert_problem

MYOB_HEADERS = (
    "Co./Last Name,First Name,Card ID,Addr 1 - Line 1,Addr 1 - City,Addr 1 - State,"
    "Addr 1 - Postcode,Addr 1 - Phone No. 1,Addr 1 - Email,Notes"
)
MYOB_ROWS = [
    "Café Olé Pty Ltd,,CUS001,12 Smith St,Richmond,VIC,3121,398765432,"
    "accounts@cafeole.example,Renée's favourite",
    "Nguyen,Thi,CUS002,4 Long Rd,Carlton,VIC,3053,(03) 9123 4567,thi@example.com,",
    "Bad Email Plumbing,,CUS003,1 High St,Kew,VIC,3101,0412 345 678,not-an-email,",
]
CORRECTED = {
    "target": "customers",
    "columns": [
        {"source": "Co./Last Name", "field": "name"},
        {"source": "Card ID", "field": "import_id"},
        {"source": "Addr 1 - Line 1", "field": "site_address.line1"},
        {"source": "Addr 1 - City", "field": "site_address.suburb"},
        {"source": "Addr 1 - State", "field": "site_address.state"},
        {"source": "Addr 1 - Postcode", "field": "site_address.postcode"},
        {"source": "Addr 1 - Phone No. 1", "field": "phone"},
        {"source": "Addr 1 - Email", "field": "email"},
        {"source": "Notes", "field": "notes"},
    ],
}


def myob_csv(rows: list[str] = MYOB_ROWS) -> bytes:
    """As MYOB writes it: cp1252, two title lines and a blank one above the headers."""
    lines = ["Card File Export", "Exported 23/11/2026", "", MYOB_HEADERS, *rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def put(aws, key: str, body: bytes) -> None:
    from chalicelib import aws as clients

    clients.client("s3").put_object(Bucket=aws.names.bucket, Key=key, Body=body)


def create(api, aws, body: bytes, **options) -> tuple[str, str]:
    reply = api.post("/v1/imports", {"source": "own_format", **options})
    assert reply.status == 201, reply.json
    key = reply.json["upload"]["fields"]["key"]
    put(aws, key, body)
    return reply.json["id"], key


def pump(aws) -> int:
    """Hand the import queue's follow-on messages to the runner, as Lambda would."""
    from chalicelib import aws as clients

    sqs, handled = clients.client("sqs"), 0
    while True:
        got = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)
        messages = got.get("Messages", [])
        if not messages:
            return handled
        for m in messages:
            sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=m["ReceiptHandle"])
            if json.loads(m["Body"]).get("kind") != "continue":
                continue  # S3's own notifications: the tests deliver those themselves
            event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"]}]}
            runner()(event, FakeContext())
            handled += 1


def stored_customers(tenant: str) -> dict[str, dict]:
    from chalicelib.store.import_writes import ImportRecordWriter

    return {c["name"]: c for c in ImportRecordWriter().load_customers(tenant).values()}


def test_a_myob_export_is_analysed_mapped_saved_and_reused(api, aws, tmp_path: Path):
    import_id, key = create(api, aws, myob_csv(), file_name="Card File.csv")
    deliver(key)

    waiting = record(api, import_id)
    assert waiting["status"] == "needs_mapping", waiting["message"]
    analysis = waiting["analysis"]
    assert analysis["header_row"] == 4 and analysis["encoding"] == "cp1252"
    assert analysis["headers"][0] == "Co./Last Name"
    assert analysis["sample_rows"][0][0] == "Café Olé Pty Ltd"
    suggested = {s["header"]: s["field"] for s in analysis["suggestion"]}
    assert suggested["Addr 1 - Line 1"] == "site_address.line1"
    assert suggested["Addr 1 - Email"] == "email"

    bad = api.post(
        f"/v1/imports/{import_id}/start",
        {"mapping": {"columns": [{"source": "Nope", "field": "name"}]}},
    )
    assert "Nope" in json.dumps(assert_problem(bad, 422))

    started = api.post(
        f"/v1/imports/{import_id}/start",
        {"mapping": CORRECTED, "save_mapping_as": "MYOB cards", "on_invalid_value": "fail_row"},
    )
    assert started.status == 202, started.json
    assert started.json["mapping_used"]["matched_by"] == "given"
    again = api.post(f"/v1/imports/{import_id}/start", {"mapping": CORRECTED})
    assert_problem(again, 409)
    assert pump(aws) == 1

    done = record(api, import_id)
    assert done["status"] == "completed_with_errors", done["message"]
    assert done["on_invalid_value"] == "fail_row"
    assert done["counts"]["customers"]["created"] == 2
    (error,) = done["errors"]
    assert (error["sheet"], error["row"], error["column"]) == ("Card File.csv", 7, "Addr 1 - Email")
    assert error["value"] == "not-an-email"
    assert s3_json(done["results_url"])["errors_total"] == 1
    errors_book = openpyxl.load_workbook(io.BytesIO(s3_bytes(done["errors_url"])))
    header, failed = list(errors_book.active.iter_rows(values_only=True))
    assert header[0] == "Co./Last Name" and header[-2:] == ("Error", "Warning")
    assert failed[0] == "Bad Email Plumbing"
    customers = stored_customers(api.tenant)
    cafe = customers["Café Olé Pty Ltd"]
    assert (cafe["phone"], cafe["phone_e164"]) == ("0398765432", "+61398765432")
    assert customers["Nguyen"]["site_address"]["suburb"] == "Carlton"

    saved = api.get("/v1/mappings").json["items"]
    assert [m["name"] for m in saved] == ["MYOB cards"]
    assert saved[0]["mapping"]["on_invalid_value"] == "fail_row"  # saved with the mapping

    # Next month's export: same columns, so it runs without asking.
    second, key2 = create(api, aws, myob_csv(MYOB_ROWS[:2]), file_name="Card File 2.csv")
    deliver(key2, message_id="m-2")
    rerun = record(api, second)
    assert rerun["status"] == "succeeded", (rerun["message"], rerun["errors"])
    assert rerun["mapping_used"] == {
        "id": saved[0]["id"],
        "name": "MYOB cards",
        "matched_by": "headers",
    }
    assert rerun["counts"]["customers"]["unchanged"] == 2
    assert rerun["on_invalid_value"] == "fail_row"

    # A partner drops the file into the folder named after the mapping.
    drop = f"drops/{api.tenant}/MYOB cards/week 1.csv"
    put(aws, drop, myob_csv([MYOB_ROWS[2].replace("not-an-email", "ok@example.com")]))
    deliver(drop, message_id="m-3")
    dropped = api.get("/v1/imports").json["items"][0]
    assert dropped["status"] == "succeeded", dropped
    assert dropped["mapping_used"]["matched_by"] == "mapping_id"
    assert "Bad Email Plumbing" in stored_customers(api.tenant)


def test_a_drop_for_an_unknown_mapping_fails_naming_it(api, aws):
    drop = f"drops/{api.tenant}/Xero contacts/export.csv"
    put(aws, drop, myob_csv())
    deliver(drop)
    (item,) = api.get("/v1/imports").json["items"]
    assert item["status"] == "failed"
    assert "Xero contacts" in item["message"]


def test_contacts_link_to_customers_by_name(api, aws):
    assert api.post("/v1/customers", {"name": "Acme Pty Ltd"}).status == 201
    body = b"Client,Given,Surname,Mobile\r\nacme pty ltd,Jo,Bloggs,412345678\r\n"
    mapping = {
        "columns": [
            {"source": "Client", "field": "customer"},
            {"source": "Given", "field": "first_name"},
            {"source": "Surname", "field": "last_name"},
            {"source": "Mobile", "field": "mobile"},
        ]
    }
    import_id, key = create(
        api, aws, body, file_name="people.csv", target="contacts", mapping=mapping
    )
    deliver(key)
    done = record(api, import_id)
    assert done["status"] == "succeeded", done["errors"]
    assert done["counts"]["contacts"]["created"] == 1
    assert done["mapping_used"]["matched_by"] == "given"


def test_xlsx_numbers_as_phones_and_a_custom_field_column(api, aws, tmp_path: Path):
    created = api.post(
        "/v1/custom-fields", {"key": "gate_code", "label": "Gate Code", "type": "text"}
    )
    assert created.status == 201, created.json
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Clients"
    sheet.append(["Client Name", "Phone", "Gate"])
    sheet.append(["Harbour Cafe", 298765432, "1234#"])
    path = tmp_path / "clients.xlsx"
    book.save(path)
    mapping = {
        "columns": [
            {"source": "Client Name", "field": "name"},
            {"source": "Phone", "field": "phone"},
            {"source": "Gate", "field": "custom_fields.gate_code"},
        ]
    }
    import_id, key = create(api, aws, path.read_bytes(), file_name="clients.xlsx", mapping=mapping)
    deliver(key)
    done = record(api, import_id)
    assert done["status"] == "succeeded", (done["message"], done["errors"])
    cafe = stored_customers(api.tenant)["Harbour Cafe"]
    assert cafe["custom_fields"] == {"gate_code": "1234#"}
    assert cafe["phone_e164"] == "+61298765432"


def test_saved_mappings_are_unique_by_name_versioned_and_private(api, aws):
    body = {"name": "ServiceM8", "headers": ["Company", "Email"], "mapping": {
        "columns": [{"source": "Company", "field": "company_name"},
                    {"source": "Email", "field": "email"}]}}  # fmt: skip
    made = api.post("/v1/mappings", body)
    assert made.status == 201, made.json
    assert_problem(api.post("/v1/mappings", {**body, "name": "servicem8 "}), 409)
    bad = api.post("/v1/mappings", {**body, "name": "Other", "mapping": {"columns": [
        {"source": "Company", "field": "colour"}]}})  # fmt: skip
    assert_problem(bad, 422)
    mapping_id = made.json["id"]
    assert_problem(api.as_(tenant="someone-else").get(f"/v1/mappings/{mapping_id}"), 404)
    stale = api.put(f"/v1/mappings/{mapping_id}", {"name": "SM8"}, headers={"If-Match": '"7"'})
    assert_problem(stale, 412)
    renamed = api.put(f"/v1/mappings/{mapping_id}", {"name": "SM8"}, headers={"If-Match": '"1"'})
    assert renamed.status == 200 and renamed.header("ETag") == '"2"'
    assert api.post("/v1/mappings", body).status == 201  # the old name is free again
    assert api.delete(f"/v1/mappings/{mapping_id}").status == 204
    assert_problem(api.get(f"/v1/mappings/{mapping_id}"), 404)


def test_a_given_mapping_that_does_not_fit_waits_for_one_and_says_why(api, aws):
    wrong = {"columns": [{"source": "Company", "field": "name"}]}
    import_id, key = create(api, aws, myob_csv(), file_name="cards.csv", mapping=wrong)
    deliver(key)
    waiting = record(api, import_id)
    assert waiting["status"] == "needs_mapping"
    assert "Company" in waiting["message"]
    assert waiting["analysis"]["headers"][2] == "Card ID"


def test_a_drop_whose_columns_do_not_fit_its_mapping_fails_saying_why(api, aws):
    body = {"name": "Simpro", "headers": ["Company"], "mapping": {
        "columns": [{"source": "Company", "field": "company_name"}]}}  # fmt: skip
    assert api.post("/v1/mappings", body).status == 201
    drop = f"drops/{api.tenant}/simpro/export.csv"
    put(aws, drop, myob_csv())
    deliver(drop)
    (item,) = api.get("/v1/imports").json["items"]
    assert item["status"] == "failed"
    assert "Company" in item["message"]


def test_own_format_requests_are_checked_before_the_upload(api, aws):
    pdf = api.post("/v1/imports", {"source": "own_format", "file_name": "cards.pdf"})
    assert_problem(pdf, 422)
    unknown = api.post(
        "/v1/imports", {"source": "own_format", "file_name": "a.csv", "mapping_id": "nope"}
    )
    assert_problem(unknown, 404)
