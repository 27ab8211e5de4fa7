"""Template import end to end: API, S3 upload, recorded SQS event, worker, record, results."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote_plus, unquote, urlparse

import pytest

from tests.problems import assert_problem

EVENTS = Path(__file__).resolve().parent.parent / "events"
FILE_NAME = "My customers (2024).xlsx"


class FakeContext:
    def __init__(self, millis: float = 900_000) -> None:
        self.millis = millis

    def get_remaining_time_in_millis(self) -> float:
        return self.millis


def s3_event(key: str, size: int, message_id: str = "m-1") -> dict:
    event = json.loads((EVENTS / "s3_object_created_in_sqs.json").read_text())
    record = event["Records"][0]
    body = json.loads(record["body"])
    body["Records"][0]["s3"]["object"].update(key=quote_plus(key, safe="/"), size=size)
    record["body"], record["messageId"] = json.dumps(body), message_id
    return event


def runner(**changes):
    """The worker as the Lambda runs it, some of its ports swapped (a crash, a smaller limit)."""
    from chalicelib.imports.wiring import default_ports
    from chalicelib.imports.worker import handle_import_event

    ports = replace(default_ports(), **changes)
    return lambda event, context: handle_import_event(event, context, ports)


def upload(
    api, aws, rows: dict, *, dry_run=False, tmp_path: Path, name=FILE_NAME, **options
) -> tuple[str, str]:
    from chalicelib import aws as clients
    from chalicelib.imports.template import write_filled_template

    body = {"source": "template", "file_name": name, "dry_run": dry_run, **options}
    created = api.post("/v1/imports", body)
    assert created.status == 201, created.json
    path = tmp_path / f"{created.json['id']}.xlsx"
    write_filled_template(path, rows)
    key = created.json["upload"]["fields"]["key"]
    clients.client("s3").upload_file(str(path), aws.names.bucket, key)
    return created.json["id"], key


def deliver(key: str, message_id: str = "m-1", context=None, run=None) -> None:
    from chalicelib import aws as clients

    size = clients.client("s3").head_object(Bucket=_bucket(), Key=key)["ContentLength"]
    (run or runner())(s3_event(key, size, message_id), context or FakeContext())


def _bucket() -> str:
    from chalicelib.settings import get_settings

    return get_settings().bucket_name


def stored(tenant: str):
    """What the register holds, read the way the importer reads it."""
    from chalicelib.imports.ports import ExistingIndex
    from chalicelib.store.import_writes import ImportRecordWriter

    writer = ImportRecordWriter()
    customers = writer.load_customers(tenant)
    contacts, equipment = writer.load_children(tenant, customers)
    return ExistingIndex(customers, contacts, equipment)


def record(api, import_id: str) -> dict:
    reply = api.get(f"/v1/imports/{import_id}")
    assert reply.status == 200, reply.json
    return reply.json


def s3_json(url: str):
    return json.loads(s3_bytes(url))


def s3_bytes(url: str) -> bytes:
    from chalicelib import aws as clients

    path = unquote(urlparse(url).path).lstrip("/")
    bucket, key = path.split("/", 1)
    return clients.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


FULL_FILE = {
    # The site and the contact come before the customers they name.
    "sites": [
        {"Customer Name": "12 Smith St", "Billing Customer": "PM-1", "Site Suburb": "Carlton",
         "Site State": "Victoria", "Site Postcode": "3053"},
    ],
    "contacts": [
        {"Customer Import ID or Name": "acme  property management", "First Name": "Jo",
         "Last Name": "Bloggs", "Email": "JO@ACME.example", "Role": "Property Manager"},
    ],
    "customers": [
        {"Customer Name": "Acme Property Management", "Import ID": "PM-1",
         "Customer Type": "Property Manager", "Phone": "0398765432", "On Hold": "No"},
        {"Company Name": "Bright Sparks Pty Ltd", "Email": "accounts@bright.example"},
    ],
    "equipment": [
        {"Customer Import ID or Name": "12 Smith St", "Equipment Name": "Hot water unit",
         "Equipment Number": "HW-1", "Equipment Type": "Hot Water",
         "Installation Date": "31/01/2020"},
    ],
}  # fmt: skip


def test_a_filled_template_imports_every_sheet_with_references_in_any_order(api, aws, tmp_path):
    import_id, key = upload(api, aws, FULL_FILE, tmp_path=tmp_path)
    assert record(api, import_id)["status"] == "queued"

    deliver(key)

    done = record(api, import_id)
    assert done["status"] == "succeeded", [e["message"] for e in done["errors"]]
    assert done["rows_total"] == done["rows_done"] == 5
    assert done["counts"]["customers"]["created"] == 2
    assert done["counts"]["sites"]["created"] == 1
    assert done["counts"]["contacts"]["created"] == 1
    assert done["counts"]["equipment"]["created"] == 1
    assert done["errors"] == [] and done["errors_url"] is None
    from chalicelib.api.import_schemas import ImportRecord

    ImportRecord.model_validate(done)  # the response matches its documented schema
    results = s3_json(done["results_url"])
    assert results["counts"] == done["counts"]

    index = stored(api.tenant)
    by_name = {c["name"]: c for c in index.customers.values()}
    site, manager = by_name["12 Smith St"], by_name["Acme Property Management"]
    assert site["billing"]["billing_customer_id"] == manager["id"]
    assert site["site_address"]["state"] == "VIC"
    assert manager["phone_e164"] == "+61398765432"
    assert by_name["Bright Sparks Pty Ltd"]["customer_number"].startswith("C")
    (contact,) = index.contacts.values()
    assert contact["customer_id"] == manager["id"] and contact["email"] == "JO@acme.example"
    (unit,) = index.equipment.values()
    assert unit["customer_id"] == site["id"] and unit["installation_date"] == "2020-01-31"
    types = api.get("/v1/lookups/customer-types").json["items"]
    assert [t["name"] for t in types] == ["Property Manager"]


def test_bad_rows_are_reported_with_place_and_reason_and_the_rest_imports(api, aws, tmp_path):
    rows = {
        "customers": [
            {"Customer Name": "Good One"},
            {"Customer Name": "good  one", "Email": "dup@example.com"},
            {"Customer Name": "Bad Email", "Email": "not-an-email"},
            {"Customer Name": "Needs Terms", "Payment Term": "30 days"},
        ],
        "sites": [{"Customer Name": "Orphan Site", "Billing Customer": "Nobody Pty Ltd"}],
    }
    # The strict policy: every bad cell fails its row (the default is in test_value_policy).
    import_id, key = upload(api, aws, rows, tmp_path=tmp_path, on_invalid_value="fail_row")

    deliver(key)

    done = record(api, import_id)
    assert done["status"] == "completed_with_errors"
    assert done["counts"]["customers"] == {
        "created": 1, "updated": 0, "unchanged": 0, "failed": 3, "warned": 0,
    }  # fmt: skip
    assert done["counts"]["sites"]["failed"] == 1
    by_row = {(e["sheet"], e["row"]): e for e in done["errors"]}
    assert by_row[("Customers", 3)]["column"] == "Customer Name"
    assert "row 2 of Customers" in by_row[("Customers", 3)]["message"]
    assert by_row[("Customers", 4)]["column"] == "Email"
    assert by_row[("Customers", 4)]["value"] == "not-an-email"
    assert by_row[("Customers", 5)]["column"] == "Payment Term"
    assert by_row[("Sites", 2)]["column"] == "Billing Customer"
    assert [c["name"] for c in stored(api.tenant).customers.values()] == ["Good One"]

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(s3_bytes(done["errors_url"])), read_only=True)
    sheet = list(book["Customers"].iter_rows(values_only=True))
    assert sheet[0][-2:] == ("Error", "Warning") and len(sheet) == 4
    assert sheet[2][0] == "Bad Email" and "Email" in sheet[2][sheet[0].index("Error")]


def test_the_same_message_delivered_twice_has_one_effect(api, aws, tmp_path):
    import_id, key = upload(api, aws, FULL_FILE, tmp_path=tmp_path)

    deliver(key, message_id="first")
    deliver(key, message_id="duplicate")
    deliver(key, message_id="first")

    assert record(api, import_id)["counts"]["customers"]["created"] == 2
    index = stored(api.tenant)
    assert len(index.customers) == 3 and len(index.contacts) == 1 and len(index.equipment) == 1


def test_importing_the_same_file_again_reports_every_row_unchanged(api, aws, tmp_path):
    _, key = upload(api, aws, FULL_FILE, tmp_path=tmp_path)
    deliver(key)
    before = stored(api.tenant)

    again, key2 = upload(api, aws, FULL_FILE, tmp_path=tmp_path)
    deliver(key2, message_id="m-2")

    done = record(api, again)
    assert done["status"] == "succeeded"
    assert {t: c["unchanged"] for t, c in done["counts"].items()} == {
        "customers": 2, "sites": 1, "contacts": 1, "equipment": 1,
    }  # fmt: skip
    assert stored(api.tenant) == before


def test_blank_cells_keep_existing_values_and_changes_update(api, aws, tmp_path):
    _, key = upload(api, aws, FULL_FILE, tmp_path=tmp_path)
    deliver(key)
    change = {"customers": [{"Import ID": "PM-1", "Notes": "Keys at reception"}]}
    again, key2 = upload(api, aws, change, tmp_path=tmp_path)
    deliver(key2, message_id="m-2")

    assert record(api, again)["counts"]["customers"]["updated"] == 1
    manager = next(c for c in stored(api.tenant).customers.values() if c.get("import_id") == "PM-1")
    assert manager["notes"] == "Keys at reception"
    assert manager["phone_e164"] == "+61398765432"
    assert manager["version"] == 2


def test_a_crash_after_the_first_batch_is_resumed_without_duplicates(api, aws, tmp_path):
    many = {"customers": [{"Customer Name": f"Customer {n:03d}"} for n in range(80)]}
    import_id, key = upload(api, aws, many, tmp_path=tmp_path)

    def crash(index):
        if index == 1:  # group 0 is checkpointed; group 1 is written, not checkpointed
            raise RuntimeError("injected crash mid-file")

    with pytest.raises(RuntimeError):
        deliver(key, run=runner(after_batch=crash))
    halfway = record(api, import_id)
    assert halfway["status"] == "running" and 0 < halfway["rows_done"] < 80

    deliver(key)  # SQS redelivers the same message

    done = record(api, import_id)
    assert done["status"] == "succeeded" and done["rows_done"] == 80
    assert done["counts"]["customers"]["created"] == 80
    customers = stored(api.tenant).customers.values()
    assert len(customers) == 80
    assert len({c["customer_number"] for c in customers}) == 80


def test_customer_numbers_run_on_without_gaps_when_rows_fail(api, aws, tmp_path):
    rows = {"customers": [{"Customer Name": "A"}, {"Customer Name": "B", "Email": "nope"},
                          {"Customer Name": "C"}]}  # fmt: skip
    import_id, key = upload(api, aws, rows, tmp_path=tmp_path, on_invalid_value="fail_row")
    deliver(key)

    assert record(api, import_id)["status"] == "completed_with_errors"
    numbers = sorted(c["customer_number"] for c in stored(api.tenant).customers.values())
    assert numbers == ["C000001", "C000002"]  # three reserved, the unused one given back
    assert api.post("/v1/customers", {"name": "D"}).json["customer_number"] == "C000003"


def test_a_crash_while_planning_is_retried_with_the_numbers_already_reserved(api, aws, tmp_path):
    from chalicelib.store.import_writes import ImportRecordWriter

    class CrashingWriter(ImportRecordWriter):
        def write_keys(self, *args, **kw):  # called for each planned row's records
            raise RuntimeError("injected crash while the plan is written")

    many = {"customers": [{"Customer Name": f"Customer {n:03d}"} for n in range(30)]}
    import_id, key = upload(api, aws, many, tmp_path=tmp_path)
    with pytest.raises(RuntimeError):
        deliver(key, run=runner(writer=CrashingWriter()))

    deliver(key)  # SQS redelivers the same message

    done = record(api, import_id)
    assert done["status"] == "succeeded" and done["attempts"] == 2
    numbers = sorted(c["customer_number"] for c in stored(api.tenant).customers.values())
    assert numbers == [f"C{n:06d}" for n in range(1, 31)]


def test_imported_contacts_keep_one_default_per_customer(api, aws, tmp_path):
    first = {"customers": [{"Customer Name": "Acme"}],
             "contacts": [{"Customer Import ID or Name": "Acme", "First Name": "Ann"},
                          {"Customer Import ID or Name": "Acme", "First Name": "Bob"}]}  # fmt: skip
    deliver(upload(api, aws, first, tmp_path=tmp_path)[1])
    later = {"contacts": [{"Customer Import ID or Name": "Acme", "First Name": "Cat",
                           "Default Contact": "Yes"}]}  # fmt: skip
    deliver(upload(api, aws, later, tmp_path=tmp_path)[1], message_id="m-2")

    (acme,) = api.get("/v1/customers").json["items"]
    contacts = api.get(f"/v1/customers/{acme['id']}/contacts").json["items"]
    defaults = {c["first_name"]: c["is_default"] for c in contacts}
    assert defaults == {"Ann": False, "Bob": False, "Cat": True}


def test_children_load_the_same_per_customer_or_from_the_tenant_collections(api, aws, tmp_path):
    from chalicelib.store.import_writes import ImportRecordWriter

    deliver(upload(api, aws, FULL_FILE, tmp_path=tmp_path)[1])
    writer = ImportRecordWriter()
    customers = writer.load_customers(api.tenant)
    named = [c["id"] for c in customers.values() if c["name"] != "Bright Sparks Pty Ltd"]

    per_customer = writer.load_children(api.tenant, named)
    writer.PER_CUSTOMER_LIMIT = 0
    from_collections = writer.load_children(api.tenant, named)

    assert per_customer == from_collections
    assert [len(kind) for kind in per_customer] == [1, 1]


def test_an_import_short_of_time_continues_in_a_follow_on_message(api, aws, tmp_path, monkeypatch):
    from chalicelib import aws as clients
    from chalicelib.imports import worker

    many = {"customers": [{"Customer Name": f"Customer {n:03d}"} for n in range(30)]}
    import_id, key = upload(api, aws, many, tmp_path=tmp_path)
    monkeypatch.setattr(worker, "PLANNING_MARGIN_MS", 0)  # time to plan, none left to write

    deliver(key, context=FakeContext(millis=1_000))

    assert record(api, import_id)["status"] == "running"
    sqs = clients.client("sqs")
    messages = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)["Messages"]
    follow_on = [m for m in messages if '"continue"' in m["Body"]]
    assert len(follow_on) == 1
    event = {"Records": [{"messageId": follow_on[0]["MessageId"], "body": follow_on[0]["Body"]}]}
    runner()(event, FakeContext())
    assert record(api, import_id)["status"] == "succeeded"
    assert len(stored(api.tenant).customers) == 30


class RunningOutContext:
    """A Lambda's clock that has ``millis`` left until it has been asked ``calls`` times, then
    less than the planning margin."""

    def __init__(self, calls: int, millis: float = 900_000) -> None:
        self.calls, self.millis = calls, millis

    def get_remaining_time_in_millis(self) -> float:
        self.calls -= 1
        return self.millis if self.calls >= 0 else 90_000


@pytest.mark.parametrize("calls", [0, 2], ids=["from-the-start", "mid-file"])
def test_planning_short_of_time_fails_the_import_saying_so_instead_of_being_killed(
    api, aws, tmp_path, monkeypatch, calls
):
    from chalicelib.imports.read import rows

    monkeypatch.setattr(rows, "TIME_CHECK_ROWS", 10)
    many = {"customers": [{"Customer Name": f"Customer {n:03d}"} for n in range(60)]}
    import_id, key = upload(api, aws, many, tmp_path=tmp_path)

    deliver(key, context=RunningOutContext(calls))

    done = record(api, import_id)
    assert done["status"] == "failed"
    assert "could not be checked within one run" in done["message"]
    assert "split it into smaller files" in done["message"]
    assert stored(api.tenant).customers == {}


def test_a_dry_run_validates_and_writes_nothing(api, aws, tmp_path):
    import_id, key = upload(api, aws, FULL_FILE, dry_run=True, tmp_path=tmp_path)

    deliver(key)

    done = record(api, import_id)
    assert done["status"] == "succeeded" and done["counts"]["customers"]["created"] == 2
    assert stored(api.tenant).customers == {}
    assert api.get("/v1/lookups/customer-types").json["items"] == []


def test_a_zip_bomb_fails_fast_with_a_clear_message(api, aws, tmp_path):
    from chalicelib import aws as clients

    created = api.post("/v1/imports", {"file_name": "bomb.xlsx"}).json
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    key = created["upload"]["fields"]["key"]
    clients.client("s3").put_object(Bucket=aws.names.bucket, Key=key, Body=buffer.getvalue())

    deliver(key)

    done = record(api, created["id"])
    assert done["status"] == "failed"
    assert "zip bomb" in done["message"], done["message"]
    assert done["rows_total"] == 0


def test_an_object_larger_than_the_limit_fails_without_being_read(api, aws, tmp_path):
    from chalicelib.settings import get_settings

    import_id, key = upload(api, aws, FULL_FILE, tmp_path=tmp_path)
    small = replace(get_settings(), max_upload_bytes=100)

    deliver(key, run=runner(settings=small))

    done = record(api, import_id)
    assert done["status"] == "failed" and "largest accepted" in done["message"]


def test_an_s3_test_event_is_ignored(aws):
    from chalicelib import aws as clients

    def everything():
        items = clients.client("dynamodb").scan(TableName=aws.names.table)["Items"]
        objects = clients.client("s3").list_objects_v2(Bucket=aws.names.bucket).get("Contents", [])
        queued = clients.client("sqs").get_queue_attributes(
            QueueUrl=aws.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        return items, objects, queued

    before = everything()
    event = json.loads((EVENTS / "s3_test_event_in_sqs.json").read_text())

    runner()(event, FakeContext())

    items, objects, queued = everything()
    assert (items, objects, queued) == before
    assert not [i for i in items if i["pk"]["S"].endswith("#IMPORT")]  # no import was created
    assert objects == []  # no result or plan written to S3
    # (S3 itself queued the test event when the bucket's notification was set: that one stays)


def test_a_partner_drop_creates_and_runs_an_import_with_results_beside_it(api, aws, tmp_path):
    from chalicelib import aws as clients
    from chalicelib.imports.template import write_filled_template

    path = tmp_path / "drop.xlsx"
    write_filled_template(path, {"customers": [{"Customer Name": "Dropped In"}]})
    key = f"drops/{api.tenant}/template/weekly export.xlsx"
    s3 = clients.client("s3")
    s3.upload_file(str(path), aws.names.bucket, key)

    deliver(key)
    deliver(key, message_id="again")

    listed = api.get("/v1/imports").json["items"]
    assert len(listed) == 1 and listed[0]["status"] == "succeeded"
    assert [c["name"] for c in stored(api.tenant).customers.values()] == ["Dropped In"]
    beside = s3.list_objects_v2(
        Bucket=aws.names.bucket, Prefix=f"drops/{api.tenant}/template/results/"
    )
    assert [o["Key"].rsplit("/", 1)[1] for o in beside["Contents"]] == [
        "weekly export.xlsx.results.json"
    ]


def test_imports_are_listed_newest_first_and_fenced_by_tenant(api, aws):
    first = api.post("/v1/imports", {"file_name": "a.xlsx"}).json
    second = api.post("/v1/imports", {"file_name": "b.xlsx", "dry_run": True}).json
    assert first["upload"]["fields"]["key"] == f"uploads/{api.tenant}/{first['id']}/a.xlsx"

    listed = api.get("/v1/imports").json["items"]
    assert [i["id"] for i in listed] == [second["id"], first["id"]]
    other = api.as_(tenant="someone-else")
    assert_problem(other.get(f"/v1/imports/{first['id']}"), 404)
    assert other.get("/v1/imports").json["items"] == []


def test_the_template_has_a_sheet_per_target_labels_and_dropdowns(api, aws):
    from openpyxl import load_workbook

    api.put(
        "/v1/settings", {"customer_label": "Client", "default_country": "AU", "date_order": "DMY"}
    )
    api.post("/v1/lookups/customer-types", {"name": "Residential"})
    reply = api.get("/v1/imports/template")
    assert reply.status == 200, reply.json
    assert reply.json["expires_at"].endswith("Z")
    assert f"templates/{api.tenant}/" in unquote(reply.json["url"])

    book = load_workbook(io.BytesIO(s3_bytes(reply.json["url"])))
    assert book.sheetnames[:5] == ["Clients", "Sites", "Contacts", "Equipment", "Instructions"]
    headers = [c.value for c in book["Clients"][1]]
    assert headers[0] == "Client Name" and "Client Type" in headers
    assert [c.value for c in book["Sites"][1]].count("Billing Client") == 1  # the tenant's word
    lists = book["Lists"]
    assert "Residential" in [c.value for c in lists["A"] if c.value] + [
        c.value for row in lists.iter_rows() for c in row
    ]
    assert book["Clients"].data_validations.dataValidation


def test_the_field_catalog_lists_every_target(api):
    reply = api.get("/v1/imports/fields")
    assert reply.status == 200
    targets = reply.json["targets"]
    assert set(targets) == {"customers", "sites", "contacts", "equipment"}
    keys = [f["key"] for f in targets["equipment"]["fields"]]
    assert "equipment_type" in keys


def test_the_import_lambda_handler_runs_an_uploaded_file(api, aws, tmp_path, monkeypatch):
    from chalice.test import Client

    from app import app
    from chalicelib import aws as clients
    from chalicelib.imports import worker
    from tests.conftest import ROOT

    # Chalice's local context counts down from a few seconds, which a loaded machine may spend
    # planning; this test is about the handler, so planning is not held to that clock.
    monkeypatch.setattr(worker, "PLANNING_MARGIN_MS", float("-inf"))
    import_id, key = upload(api, aws, FULL_FILE, tmp_path=tmp_path)
    size = clients.client("s3").head_object(Bucket=_bucket(), Key=key)["ContentLength"]
    body = json.loads(s3_event(key, size)["Records"][0]["body"])

    with Client(app, stage_name="test", project_dir=str(ROOT)) as client:
        event = client.events.generate_sqs_event(
            message_bodies=[json.dumps(body)], queue_name="sitebook-imports"
        )
        client.lambda_.invoke("import_worker", event)

    # The local context's time limit (60 s) is inside the runner's one-minute margin, so the
    # handler claims and plans the import, then hands the writes to a follow-on message.
    assert record(api, import_id)["status"] == "running"
    sqs = clients.client("sqs")
    messages = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)["Messages"]
    (message,) = [m for m in messages if '"continue"' in m["Body"]]
    runner()(
        {"Records": [{"messageId": message["MessageId"], "body": message["Body"]}]}, FakeContext()
    )
    assert record(api, import_id)["status"] == "succeeded"


def test_the_notification_s3_itself_queues_for_an_upload_runs_the_import(api, aws, tmp_path):
    from chalicelib import aws as clients

    import_id, _ = upload(api, aws, FULL_FILE, tmp_path=tmp_path)  # a name with spaces
    sqs = clients.client("sqs")
    messages = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)["Messages"]
    event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]}

    runner()(event, FakeContext())

    assert record(api, import_id)["status"] == "succeeded"


def test_the_openapi_document_describes_the_import_routes(api):
    document = api.get("/v1/openapi.json", token=False).json
    paths = document["paths"]
    for path in ("/v1/imports", "/v1/imports/{import_id}", "/v1/imports/template"):
        assert path in paths, sorted(paths)
    assert "201" in paths["/v1/imports"]["post"]["responses"]


def test_a_damaged_workbook_fails_with_advice_instead_of_retrying_forever(api, aws):
    from chalicelib import aws as clients

    created = api.post("/v1/imports", {"file_name": "damaged.xlsx"}).json
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook><not closed")
    key = created["upload"]["fields"]["key"]
    clients.client("s3").put_object(Bucket=aws.names.bucket, Key=key, Body=buffer.getvalue())

    deliver(key)

    done = record(api, created["id"])
    assert done["status"] == "failed" and "save it as .xlsx" in done["message"], done["message"]


def dropdown_of(book, sheet: str, header: str) -> list | None:
    """The choices of the column titled ``header``: its validation's named range on Lists."""
    headers = [c.value for c in book[sheet][1]]
    column = book[sheet].cell(1, headers.index(header) + 1).column_letter
    for validation in book[sheet].data_validations.dataValidation:
        if str(validation.sqref).startswith(f"{column}2:"):
            cells = book.defined_names[validation.formula1].attr_text.split("!")[1]
            return [c.value for row in book["Lists"][cells.replace("$", "")] for c in row]
    return None


def test_the_template_carries_custom_fields_and_imports_their_values(api, aws, tmp_path):
    from openpyxl import load_workbook

    from chalicelib import aws as clients

    zone = {"key": "zone", "label": "Zone", "type": "choice", "options": ["North", "South"]}
    assert api.post("/v1/custom-fields", zone).status == 201
    units = {"key": "units", "label": "Units", "type": "number"}
    assert api.post("/v1/custom-fields", units).status == 201
    retired = api.post("/v1/custom-fields", {"key": "old", "label": "Old", "type": "text"}).json
    api.delete(f"/v1/custom-fields/{retired['id']}")

    book = load_workbook(io.BytesIO(s3_bytes(api.get("/v1/imports/template").json["url"])))
    catalog = api.get("/v1/imports/fields").json["targets"]

    for sheet in ("Customers", "Sites"):
        headers = [c.value for c in book[sheet][1]]
        assert headers[-2:] == ["Units", "Zone"] and "Old" not in headers  # by key
        listed = [f["label"] for f in catalog[sheet.lower()]["fields"]]
        assert listed == headers  # the fields endpoint names the template's columns
        assert dropdown_of(book, sheet, "Zone") == ["North", "South"]
        assert dropdown_of(book, sheet, "Units") is None
    assert "Zone" not in [c.value for c in book["Contacts"][1]]
    headers = [c.value for c in book["Customers"][1]]
    row = dict.fromkeys(headers)
    row.update({"Customer Name": "Acme", "Zone": "north", "Units": 3})
    book["Customers"].append([row[h] for h in headers])
    site = dict.fromkeys(headers) | {"Customer Name": "Unit 4", "Billing Customer": "Acme"}
    book["Sites"].append([(site | {"Zone": "South"}).get(h) for h in headers])
    path = tmp_path / "filled.xlsx"
    book.save(path)
    created = api.post("/v1/imports", {"file_name": "filled.xlsx"}).json
    key = created["upload"]["fields"]["key"]
    clients.client("s3").upload_file(str(path), aws.names.bucket, key)

    deliver(key)

    done = record(api, created["id"])
    assert done["status"] == "succeeded", done["errors"]
    customers = {c["name"]: c for c in stored(api.tenant).customers.values()}
    assert customers["Acme"]["custom_fields"] == {"zone": "North", "units": 3}
    assert customers["Unit 4"]["custom_fields"] == {"zone": "South"}
