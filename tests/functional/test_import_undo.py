"""The per-row ledger and undo of an import: moto in process, the worker as Lambda runs it."""

from __future__ import annotations

import json

import pytest

from tests.functional.test_template_import import (
    FakeContext,
    deliver,
    record,
    runner,
    s3_json,
    stored,
    upload,
)
from tests.problems import assert_problem

FILE = {
    "customers": [
        {"Customer Name": "Acme Property Management", "Import ID": "PM-1",
         "Customer Type": "Property Manager", "Phone": "0398765432"},
        {"Customer Name": "Existing Co", "Email": "new@existing.example"},
        {"Customer Name": "Bad Email Pty", "Email": "not-an-email"},
        {"Company Name": "", "Email": "nameless@example.com"},
    ],
    "sites": [{"Customer Name": "12 Smith St", "Billing Customer": "PM-1"}],
    "contacts": [
        {"Customer Import ID or Name": "PM-1", "First Name": "Jo", "Last Name": "Bloggs",
         "Role": "Property Manager"},
        {"Customer Import ID or Name": "Existing Co", "First Name": "Al", "Last Name": "New"},
    ],
    "equipment": [
        {"Customer Import ID or Name": "12 Smith St", "Equipment Name": "Hot water unit",
         "Equipment Number": "HW-1", "Equipment Type": "Hot Water"},
    ],
}  # fmt: skip
# Bookkeeping of imports themselves, not the register: left out of the census.
NOT_REGISTER = ("EVENTS", "IMPORT", "IMPORTROWS", "IDEMPOTENCY")


def census(tenant: str) -> dict[str, int]:
    """The tenant's items counted by kind (entity, or the claim's scope), as the e2e crash test
    counts them (tests/e2e/test_template_import_e2e.py:table_census), read from moto."""
    from chalicelib import aws as clients
    from chalicelib.settings import get_settings

    counts: dict[str, int] = {}
    pages = clients.client("dynamodb").get_paginator("scan")
    for page in pages.paginate(TableName=get_settings().table_name):
        for item in page["Items"]:
            owner, kind, *rest = item["pk"]["S"].split("#")
            if owner != tenant or kind in NOT_REGISTER:
                continue
            if kind == "UNIQUE":
                kind += "#" + rest[0]
            kind += "/" + item.get("entity", {}).get("S", item["sk"]["S"].split("#")[0])
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def pump_undo(aws, run=None) -> int:
    """Hand the queue's undo messages to the worker, as Lambda would (uploads are delivered by
    the tests themselves); a message whose run raises stays for redelivery."""
    from chalicelib import aws as clients

    sqs, handled = clients.client("sqs"), 0
    while True:
        got = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)
        messages = got.get("Messages", [])
        if not messages:
            return handled
        for m in messages:
            if json.loads(m["Body"]).get("kind") == "undo":
                event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"]}]}
                (run or runner())(event, FakeContext())
                handled += 1
            sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=m["ReceiptHandle"])


def undo_message(aws) -> dict:
    from chalicelib import aws as clients

    sqs = clients.client("sqs")
    while True:
        messages = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10)["Messages"]
        for m in messages:
            sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=m["ReceiptHandle"])
            if json.loads(m["Body"]).get("kind") == "undo":
                return {"Records": [{"messageId": m["MessageId"], "body": m["Body"]}]}


@pytest.fixture
def existing(api):
    """A customer the file updates, with the contact it has before the import."""
    made = api.post("/v1/customers", {"name": "Existing Co", "phone": "0298765432"})
    assert made.status == 201, made.json
    contact = {"first_name": "Old", "last_name": "Default"}
    assert api.post(f"/v1/customers/{made.json['id']}/contacts", contact).status == 201
    return made.json


def imported(api, aws, tmp_path, rows=FILE, name="register.xlsx", message="m-1") -> str:
    import_id, key = upload(api, aws, rows, tmp_path=tmp_path, name=name)
    deliver(key, message_id=message)
    assert record(api, import_id)["status"] in ("completed_with_errors", "succeeded")
    return import_id


def undone(api, aws, import_id: str, **body) -> dict:
    reply = api.post(f"/v1/imports/{import_id}/undo", body)
    assert reply.status == 202, reply.json
    pump_undo(aws)
    return record(api, import_id)


def test_every_row_is_in_the_ledger_with_its_outcome_and_changes(api, aws, tmp_path, existing):
    import_id = imported(api, aws, tmp_path)

    rows = api.get(f"/v1/imports/{import_id}/rows?limit=200").json
    assert len(rows["items"]) == 8 and rows["next_cursor"] is None
    by_place = {(r["sheet"], r["row"]): r for r in rows["items"]}
    update = by_place[("Customers", 3)]
    assert update["outcome"] == "updated" and update["record_id"] == existing["id"]
    assert update["changes"]["email"] == {"before": None, "after": "new@existing.example"}
    assert update["version"] == existing["version"] + 1
    warned = by_place[("Customers", 4)]
    assert warned["outcome"] == "created" and warned["warned"]
    assert warned["warnings"][0]["value"] == "not-an-email"
    failed = by_place[("Customers", 5)]
    assert failed["outcome"] == "failed" and failed["record_id"] is None and failed["errors"]
    equipment = by_place[("Equipment", 2)]
    assert equipment["changes"]["equipment_number"]["after"] == "HW-1"

    only = api.get(f"/v1/imports/{import_id}/rows?outcome=failed").json["items"]
    assert [(r["sheet"], r["row"]) for r in only] == [("Customers", 5)]
    warned_rows = api.get(f"/v1/imports/{import_id}/rows?outcome=warned").json["items"]
    assert [(r["sheet"], r["row"]) for r in warned_rows] == [("Customers", 4)]
    first = api.get(f"/v1/imports/{import_id}/rows?outcome=created&limit=2").json
    second = api.get(
        f"/v1/imports/{import_id}/rows?outcome=created&limit=2&cursor={first['next_cursor']}"
    ).json
    assert len(first["items"]) == 2 and first["items"][0] not in second["items"]

    results = s3_json(record(api, import_id)["results_url"])
    assert results["rows_url"] == f"/v1/imports/{import_id}/rows"


def test_the_ledger_refuses_bad_paging_and_other_tenants(api, aws, tmp_path):
    import_id = imported(api, aws, tmp_path)
    base = f"/v1/imports/{import_id}/rows"

    assert_problem(api.get(f"{base}?limit=0"), 422)
    assert_problem(api.get(f"{base}?limit=201"), 422)
    assert_problem(api.get(f"{base}?outcome=exploded"), 422)
    created_cursor = api.get(f"{base}?outcome=created&limit=1").json["next_cursor"]
    assert_problem(api.get(f"{base}?outcome=failed&cursor={created_cursor}"), 400)
    assert_problem(api.get(f"{base}?cursor=not-a-cursor"), 400)
    assert_problem(api.as_(tenant="someone-else").get(base), 404)


def test_undo_leaves_the_register_as_it_was_before_the_import(api, aws, tmp_path, existing):
    before = census(api.tenant)
    import_id = imported(api, aws, tmp_path)
    assert census(api.tenant) != before

    done = undone(api, aws, import_id)

    assert done["status"] == "undone", done["undo"]
    assert census(api.tenant) == before
    assert done["undo"]["conflicts_total"] == 0
    assert done["undo"]["counts"]["customer"]["removed"] == 3
    assert done["undo"]["counts"]["customer"]["restored"] == 1
    assert done["undo"]["counts"]["lookup"]["removed"] == 3
    restored = api.get(f"/v1/customers/{existing['id']}").json
    assert restored["email"] is None and restored["phone"] == existing["phone"]
    assert api.get("/v1/customers?q=acme").json["items"] == []
    assert api.get("/v1/lookups/customer-types").json["items"] == []
    assert api.post("/v1/customers", {"name": "Acme Property Management"}).status == 201


def test_a_record_edited_since_the_import_is_kept_and_reported(api, aws, tmp_path):
    import_id = imported(api, aws, tmp_path)
    acme = next(c for c in stored(api.tenant).customers.values() if c["import_id"] == "PM-1")
    edited = api.patch(f"/v1/customers/{acme['id']}", {"phone": "0391112222"})
    assert edited.status == 200, edited.json

    done = undone(api, aws, import_id)

    assert done["status"] == "undone"
    (conflict,) = [c for c in done["undo"]["conflicts"] if c["id"] == acme["id"]]
    assert conflict["sheet"] == "Customers" and conflict["row"] == 2
    assert [f["field"] for f in conflict["fields"] if f["field"] == "phone"] == ["phone"]
    left = {c["name"] for c in stored(api.tenant).customers.values()}
    assert left == {"Acme Property Management"}  # its site and contact went; it stayed
    report = s3_json(done["undo_url"])
    assert any(c["id"] == acme["id"] for c in report["conflicts"])


def test_undo_twice_has_the_effect_of_once(api, aws, tmp_path, existing):
    before = census(api.tenant)
    import_id = imported(api, aws, tmp_path)
    undone(api, aws, import_id)

    again = api.post(f"/v1/imports/{import_id}/undo", {})

    assert again.status == 202 and again.json["status"] == "undone"
    assert pump_undo(aws) == 0
    assert census(api.tenant) == before


def test_a_worker_killed_mid_undo_resumes_from_its_checkpoint(
    api, aws, tmp_path, existing, monkeypatch
):
    from chalicelib.imports.undo import run as undo_run

    monkeypatch.setattr(undo_run, "ACTIONS_PER_CHECKPOINT", 2)
    before = census(api.tenant)
    import_id = imported(api, aws, tmp_path)
    assert api.post(f"/v1/imports/{import_id}/undo", {}).status == 202
    event = undo_message(aws)

    def crash(index):
        if index == 1:  # group 0 is checkpointed; group 1 is written, not checkpointed
            raise RuntimeError("injected crash mid-undo")

    with pytest.raises(RuntimeError):
        runner(after_batch=crash)(event, FakeContext())
    halfway = record(api, import_id)
    assert halfway["status"] == "undoing" and halfway["undo"]["status"] == "running"

    runner()(event, FakeContext())  # SQS delivers the same message again

    assert record(api, import_id)["status"] == "undone"
    assert census(api.tenant) == before


def test_an_import_still_under_way_cannot_be_undone(api, aws):
    created = api.post("/v1/imports", {"source": "template", "file_name": "later.xlsx"}).json

    reply = api.post(f"/v1/imports/{created['id']}/undo", {})

    assert_problem(reply, 409)
    assert "finished" in reply.json["detail"]
    assert_problem(api.as_(role="staff").post(f"/v1/imports/{created['id']}/undo", {}), 403)


def test_an_import_a_later_one_built_on_is_undone_only_when_forced(api, aws, tmp_path):
    first = imported(api, aws, tmp_path)
    later_rows = {"customers": [{"Customer Name": "Acme Property Management", "Notes": "VIP"}]}
    later = imported(api, aws, tmp_path, later_rows, name="later.xlsx", message="m-2")

    refused = api.post(f"/v1/imports/{first}/undo", {})

    assert_problem(refused, 409)
    assert later in refused.json["detail"] and "later.xlsx" in refused.json["detail"]
    done = undone(api, aws, first, force=True)
    assert done["status"] == "undone"
    kept = {c["name"] for c in stored(api.tenant).customers.values()}
    assert kept == {"Acme Property Management"}  # the later import's update is kept
    assert any("version" in c["reason"] for c in done["undo"]["conflicts"])


def test_a_dry_run_undo_reports_and_writes_nothing(api, aws, tmp_path, existing):
    import_id = imported(api, aws, tmp_path)
    before = census(api.tenant)

    done = undone(api, aws, import_id, dry_run=True)

    assert census(api.tenant) == before
    assert done["status"] == "completed_with_errors"
    assert done["undo"]["dry_run"] and done["undo"]["status"] == "done"
    assert done["undo"]["planned"]["customer"] == {"restore": 1, "remove": 3, "conflicts": 0}
    assert undone(api, aws, import_id)["status"] == "undone"  # the real one still can
