"""Template imports over HTTP on the local stack: presigned links, the queue, the pump, results."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from urllib.parse import quote_plus

import boto3
import pytest
import requests

EVENTS = Path(__file__).resolve().parent.parent / "events"
FINISHED = ("succeeded", "completed_with_warnings", "completed_with_errors", "failed")
WAIT_SECONDS = 120
GOOD = {"customers": 100, "sites": 60, "contacts": 80, "equipment": 60}


def aws_client(stack, service: str):
    return boto3.client(
        service,
        endpoint_url=stack.moto_url,
        region_name=stack.env["AWS_REGION"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def fill_template(admin) -> bytes:
    """The tenant's template, downloaded through its link and filled in by header name."""
    from openpyxl import load_workbook

    link = admin.get("/v1/imports/template").json()
    book = load_workbook(io.BytesIO(requests.get(link["url"], timeout=30).content))

    def add(sheet: str, values: dict) -> None:
        headers = [cell.value for cell in book[sheet][1]]
        book[sheet].append([values.get(h) for h in headers])

    for n in range(GOOD["sites"]):  # each site names a customer that comes later in the file
        add("Sites", {"Customer Name": f"Site {n:03d}", "Billing Customer": f"PM-{n % 20}",
                      "Site Address Line 1": f"{n} High St", "Site Suburb": "Carlton",
                      "Site State": "VIC", "Site Postcode": "3053"})  # fmt: skip
    add("Sites", {"Customer Name": "Orphan Site", "Billing Customer": "Nobody Pty Ltd"})
    for n in range(GOOD["customers"]):
        add("Customers", {"Customer Name": f"Customer {n:03d}", "Import ID": f"PM-{n}",
                          "Email": f"accounts@c{n}.example", "Phone": f"03 9123 {n:04d}",
                          "Customer Type": ("Residential", "Strata")[n % 2],
                          "Payment Term": "30 EOM" if n % 3 == 0 else None})  # fmt: skip
    add("Customers", {"Customer Name": "customer  000", "Notes": "a second Customer 000"})
    add("Customers", {"Customer Name": "Bad Email", "Email": "not-an-email"})
    add("Customers", {"Customer Name": "Odd Terms", "Payment Term": "Net 99"})
    for n in range(GOOD["contacts"]):
        add("Contacts", {"Customer Import ID or Name": f"PM-{n % 50}", "Role": "Owner",
                         "First Name": f"Pat{n}", "Email": f"pat{n}@c.example"})  # fmt: skip
    for n in range(GOOD["equipment"]):
        add("Equipment", {"Customer Import ID or Name": f"Site {n:03d}", "Equipment Number":
                          f"HW-{n}", "Equipment Name": "Hot water unit",
                          "Equipment Type": "Hot Water", "Make": "Rheem"})  # fmt: skip
    book.move_sheet("Sites", offset=-1)  # Sites first: sites before their billing customers
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(admin, data: bytes, name: str = "register.xlsx", **options) -> dict:
    body = {"source": "template", "file_name": name, **options}
    created = admin.post("/v1/imports", json=body)
    assert created.status_code == 201, created.text
    form = created.json()["upload"]
    sent = requests.post(form["url"], data=form["fields"], files={"file": (name, data)}, timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    return created.json()


def wait_finished(admin, import_id: str) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        reply = admin.get(f"/v1/imports/{import_id}")
        if reply.status_code == 200 and reply.json()["status"] in FINISHED:
            return reply.json()
        time.sleep(0.5)
    pytest.fail(f"import {import_id} did not finish within {WAIT_SECONDS}s")


def wait_queue_empty(stack) -> None:
    sqs = aws_client(stack, "sqs")
    deadline = time.monotonic() + WAIT_SECONDS
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    while time.monotonic() < deadline:
        got = sqs.get_queue_attributes(QueueUrl=stack.env["IMPORT_QUEUE_URL"], AttributeNames=names)
        if all(int(got["Attributes"][n]) == 0 for n in names):
            return
        time.sleep(0.5)
    pytest.fail("the import queue did not drain")


def make_payment_term(admin) -> None:
    term = {"name": "30 EOM", "due_days": 30, "due_basis": "end_of_month"}
    assert admin.post("/v1/lookups/payment-terms", json=term).status_code == 201


@pytest.fixture
def imported(stack, admin):
    """A fresh tenant with the filled template imported once: (file bytes, first import)."""
    make_payment_term(admin)
    data = fill_template(admin)
    created = upload(admin, data, on_invalid_value="fail_row")  # its bad cells fail their rows
    return data, created, wait_finished(admin, created["id"])


def test_a_filled_template_imports_over_http_with_each_error_reported(imported):
    _, _, done = imported

    assert done["status"] == "completed_with_errors"
    assert done["rows_total"] == done["rows_done"] == sum(GOOD.values()) + 4
    assert {t: c["created"] for t, c in done["counts"].items()} == GOOD
    assert {t: c["failed"] for t, c in done["counts"].items()} == {
        "customers": 3, "sites": 1, "contacts": 0, "equipment": 0,
    }  # fmt: skip
    errors = {(e["sheet"], e["row"]): e for e in done["errors"]}
    assert done["errors_total"] == len(errors) == 4
    duplicate = errors[("Customers", 102)]
    assert duplicate["column"] == "Customer Name" and "row 2 of Customers" in duplicate["message"]
    bad_email = errors[("Customers", 103)]
    assert bad_email["column"] == "Email" and bad_email["value"] == "not-an-email"
    assert errors[("Customers", 104)]["column"] == "Payment Term"
    assert "Net 99" in errors[("Customers", 104)]["message"]
    orphan = errors[("Sites", 62)]
    assert orphan["column"] == "Billing Customer" and orphan["value"] == "Nobody Pty Ltd"

    results = requests.get(done["results_url"], timeout=30).json()
    assert results["counts"] == done["counts"]
    from openpyxl import load_workbook

    errors_book = requests.get(done["errors_url"], timeout=30).content
    book = load_workbook(io.BytesIO(errors_book), read_only=True)
    customers = list(book["Customers"].iter_rows(values_only=True))
    assert customers[0][-2:] == ("Error", "Warning") and len(customers) == 4
    assert [row[0] for row in customers[1:]] == ["customer  000", "Bad Email", "Odd Terms"]


def test_the_pump_logs_each_message_with_its_dynamodb_requests(stack, imported):
    from devstack.pump import read_reports

    wait_queue_empty(stack)  # the pump writes a message's line before deleting the message

    reports = read_reports((Path(stack.log_dir) / "pump.log").read_text())
    writes = [counts for _, _, counts in reports if counts["BatchWriteItem"]]
    assert writes, "no pump line counted the import's BatchWriteItem calls"
    assert all(counts["UpdateItem"] for counts in writes)  # PynamoDB's checkpoints are counted


def test_the_same_file_again_leaves_every_row_unchanged(admin, imported):
    data, _, first = imported

    again = wait_finished(
        admin, upload(admin, data, "again.xlsx", on_invalid_value="fail_row")["id"]
    )

    assert {t: c["unchanged"] for t, c in again["counts"].items()} == GOOD
    assert all(c["created"] == c["updated"] == 0 for c in again["counts"].values())
    assert again["errors_total"] == first["errors_total"]


def test_the_same_notification_delivered_twice_runs_one_import(stack, admin, imported):
    _, created, first = imported
    key = created["upload"]["fields"]["key"]
    event = json.loads((EVENTS / "s3_object_created_in_sqs.json").read_text())
    body = json.loads(event["Records"][0]["body"])
    body["Records"][0]["s3"]["bucket"]["name"] = stack.env["BUCKET_NAME"]
    body["Records"][0]["s3"]["object"].update(key=quote_plus(key, safe="/"), size=len(imported[0]))

    aws_client(stack, "sqs").send_message(
        QueueUrl=stack.env["IMPORT_QUEUE_URL"], MessageBody=json.dumps(body)
    )
    wait_queue_empty(stack)

    assert [i["id"] for i in admin.get("/v1/imports").json()["items"]] == [created["id"]]
    after = admin.get(f"/v1/imports/{created['id']}").json()
    assert after["counts"] == first["counts"] and after["finished_at"] == first["finished_at"]
    listed = admin.get("/v1/customers", params={"limit": 200}).json()
    assert len(listed["items"]) == GOOD["customers"] + GOOD["sites"] and not listed["next_cursor"]


def test_a_partner_drop_runs_an_import_with_results_beside_the_file(stack, admin, tenant):
    from chalicelib.imports.template import write_filled_template

    folder = Path(stack.log_dir or "/tmp")
    path = folder / f"drop-{tenant}.xlsx"
    write_filled_template(path, {"customers": [{"Customer Name": "Dropped In"}]})
    s3, bucket = aws_client(stack, "s3"), stack.env["BUCKET_NAME"]
    s3.upload_file(str(path), bucket, f"drops/{tenant}/template/weekly.xlsx")

    deadline = time.monotonic() + WAIT_SECONDS
    while not (items := admin.get("/v1/imports").json()["items"]):
        assert time.monotonic() < deadline, "no import appeared for the dropped file"
        time.sleep(0.5)
    done = wait_finished(admin, items[0]["id"])

    assert done["status"] == "succeeded" and done["counts"]["customers"]["created"] == 1
    beside = s3.list_objects_v2(Bucket=bucket, Prefix=f"drops/{tenant}/template/results/")
    assert [o["Key"].rsplit("/", 1)[1] for o in beside["Contents"]] == ["weekly.xlsx.results.json"]


def test_an_export_is_run_by_the_pump_and_downloads_through_its_link(admin, imported):
    from openpyxl import load_workbook

    created = admin.post("/v1/exports", json={})
    assert created.status_code == 202, created.text
    deadline = time.monotonic() + WAIT_SECONDS
    while (done := admin.get(f"/v1/exports/{created.json()['id']}").json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, "the export did not finish"
        time.sleep(0.5)

    assert done["status"] == "succeeded" and done["counts"] == GOOD
    book = load_workbook(io.BytesIO(requests.get(done["url"], timeout=30).content), read_only=True)
    assert book.sheetnames == ["Customers", "Sites", "Contacts", "Equipment"]


def big_template(admin, customers: int) -> bytes:
    """Enough rows that the import writes for a while: customers, their sites and contacts."""
    from openpyxl import load_workbook

    link = admin.get("/v1/imports/template").json()
    book = load_workbook(io.BytesIO(requests.get(link["url"], timeout=30).content))
    headers = {name: [cell.value for cell in book[name][1]] for name in book.sheetnames}

    def add(sheet: str, values: dict) -> None:
        book[sheet].append([values.get(h) for h in headers[sheet]])

    for n in range(customers):
        add("Customers", {"Customer Name": f"Crash Customer {n:05d}", "Import ID": f"CC-{n}",
                          "Email": f"ap@cc{n}.example", "Phone": f"03 9124 {n:04d}"})  # fmt: skip
        add("Sites", {"Customer Name": f"Crash Site {n:05d}", "Billing Customer": f"CC-{n}",
                      "Site Address Line 1": f"{n} Low St", "Site Postcode": "3000"})  # fmt: skip
        add("Contacts", {"Customer Import ID or Name": f"CC-{n}", "First Name": f"Kim{n}"})
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_census(stack, *tenants: str) -> list[dict[str, int]]:
    """Each tenant's items counted by kind (entity, or the claim's scope), read straight from moto.

    A test may Scan; it is how one sees every item an import left, claims and search tokens too.
    """
    censuses: dict[str, dict[str, int]] = {tenant: {} for tenant in tenants}
    pages = (
        aws_client(stack, "dynamodb")
        .get_paginator("scan")
        .paginate(TableName=stack.env["TABLE_NAME"], ProjectionExpression="pk, sk, entity")
    )
    for page in pages:
        for item in page["Items"]:
            tenant, kind, *rest = item["pk"]["S"].split("#")
            if tenant not in censuses or kind == "EVENTS":  # the change feed trails by seconds
                continue
            if kind == "UNIQUE":
                kind += "#" + rest[0]
            kind += "/" + item.get("entity", {}).get("S", item["sk"]["S"].split("#")[0])
            censuses[tenant][kind] = censuses[tenant].get(kind, 0) + 1
    return [censuses[tenant] for tenant in tenants]


def write_parts(stack, tenant: str, import_id: str) -> tuple[dict, dict[tuple[int, int], int]]:
    """The import record as stored with its counter item's counts and claims over it, and each
    queued part's next group by its ``(first, end)`` (the spread write path's bookkeeping,
    store/import_parts.py; the counter is gone once the import finished)."""

    def stored(sk: str) -> dict:
        return (
            aws_client(stack, "dynamodb")
            .get_item(
                TableName=stack.env["TABLE_NAME"],
                Key={"pk": {"S": f"{tenant}#IMPORT"}, "sk": {"S": sk}},
                ConsistentRead=True,
            )
            .get("Item", {})
        )

    counter = stored(f"{import_id}#COUNTER")  # read first: the record says whether it finished
    item = stored(import_id)
    counter.pop("owner", None)
    item.update({k: v for k, v in counter.items() if k not in ("pk", "sk")})
    ranges = [r for level in json.loads(item.get("write_parts", {"S": "[]"})["S"]) for r in level]
    queued = {int(k): int(v["N"]) for k, v in item.get("parts", {"M": {}})["M"].items()}
    return item, {(first, end): queued[first] for first, end in ranges if first in queued}


def settled(read, *, still_for: float = 1.0, within: float = 30.0):
    """``read()`` once it gives the same value twice ``still_for`` seconds apart."""
    deadline = time.monotonic() + within
    before = read()
    while time.monotonic() < deadline:
        time.sleep(still_for)
        now = read()
        if now == before:
            return now
        before = now
    pytest.fail(f"still changing after {within}s: {before}")


def test_a_worker_killed_mid_file_is_resumed_by_the_retry_without_duplicates(stack):
    """The pump is killed (SIGKILL) while its handlers write the import's parts (the local
    stage's IMPORT_WRITE_CONCURRENCY is 4); their messages return and a new pump resumes each
    part at its own next group."""
    from tests.e2e.conftest import Http, make_token

    crashed, clean = (f"e2e-crash-{n}-{time.monotonic_ns() % 10**6}" for n in ("a", "b"))
    first = Http(stack.api_url, make_token(crashed))
    data = big_template(first, customers=300)
    created = upload(first, data)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:  # kill the pump while a part has written a group and has two or more to go
        item, parts = write_parts(stack, crashed, created["id"])
        status = item["status"]["S"]
        if status == "running" and any(f < n < e - 1 for (f, e), n in parts.items()):
            break
        assert status not in FINISHED, "the import finished before the crash: make it bigger"
        assert time.monotonic() < deadline, f"no part was ever half written: {parts}"
        time.sleep(0.05)
    stack.kill("pump")
    try:
        # Requests moto had already received still land (a row, a count in flight per part);
        # then nothing moves without a pump.
        _, at_crash = settled(lambda: write_parts(stack, crashed, created["id"]))
        time.sleep(2)
        assert write_parts(stack, crashed, created["id"])[1] == at_crash
        halfway = {(f, e): n for (f, e), n in at_crash.items() if f < n < e}
        assert halfway, at_crash  # the part seen half written had two groups to go
    finally:
        stack.restart("pump")  # the session's later tests need a pump even if this one fails
    done = wait_finished(first, created["id"])

    assert done["status"] == "succeeded" and done["rows_done"] == done["rows_total"] == 900
    assert {t: c["created"] for t, c in done["counts"].items()} == {
        "customers": 300, "sites": 300, "contacts": 300, "equipment": 0,
    }  # fmt: skip
    log = (Path(stack.log_dir) / "pump.log").read_text()
    for (f, e), n in halfway.items():  # each part resumed where its count says, not from its start
        assert f"import {created['id']} resumes at batch {n} of part {f}-{e}" in log
    # Exactly the items an uninterrupted import of the same file leaves, kind by kind.
    second = Http(stack.api_url, make_token(clean))
    assert wait_finished(second, upload(second, data)["id"])["status"] == "succeeded"
    after_crash, uninterrupted = table_census(stack, crashed, clean)
    assert after_crash == uninterrupted and after_crash["CUSTOMER/customer"] == 600
    numbers, cursor = set(), None
    while True:
        page = first.get("/v1/customers", params={"limit": 200, "cursor": cursor}).json()
        numbers.update(c["customer_number"] for c in page["items"])
        if not (cursor := page["next_cursor"]):
            break
    assert numbers == {f"C{n:06d}" for n in range(1, 601)}  # no number reserved twice
