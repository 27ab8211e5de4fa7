"""An import racing the API: it never overwrites a change it did not see (issue 11, point 1)."""

from __future__ import annotations

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

RACE = "changed by someone else during the import — import it again to apply"


def _planned_not_written(api, aws, rows, tmp_path, monkeypatch) -> tuple[str, dict]:
    """Upload and plan ``rows``; the worker runs short of time before its first write, so the
    import waits (running) for its follow-on message, which is returned."""
    from chalicelib import aws as clients
    from chalicelib.imports import worker

    import_id, key = upload(api, aws, rows, tmp_path=tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(worker, "PLANNING_MARGIN_MS", 0)  # time to plan, none left to write
        deliver(key, context=FakeContext(millis=1_000))
    assert record(api, import_id)["status"] == "running"
    sqs = clients.client("sqs")
    queue = aws.queue_url
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    (follow_on,) = [m for m in messages if '"continue"' in m["Body"]]
    return import_id, {
        "Records": [{"messageId": follow_on["MessageId"], "body": follow_on["Body"]}]
    }


def _items(tenant: str, entity: str) -> list[dict]:
    """The tenant's items of ``entity``, read straight from the table (a test may Scan)."""
    from chalicelib.aws import client
    from chalicelib.settings import get_settings

    items = client("dynamodb").scan(TableName=get_settings().table_name)["Items"]
    return [
        i
        for i in items
        if i["pk"]["S"].startswith(f"{tenant}#") and i.get("entity", {}).get("S") == entity
    ]


def _customers_named(api, name: str) -> list[dict]:
    return [c for c in stored(api.tenant).customers.values() if c["name"] == name]


def test_api_writes_made_while_an_import_writes_stay_whole_and_the_rows_that_lost_fail(
    api, aws, tmp_path, monkeypatch
):
    patched = api.post("/v1/customers", {"name": "Patched Co", "notes": "before"}).json
    rows = {
        "customers": [
            {"Customer Name": "Racer X", "Email": "file@racer.example"},
            {"Customer Name": "Patched Co", "Notes": "from the file"},
            {"Customer Name": "Calm Co"},
        ],
        "contacts": [{"Customer Import ID or Name": "Racer X", "First Name": "Rita"}],
    }
    import_id, follow_on = _planned_not_written(api, aws, rows, tmp_path, monkeypatch)

    racer = api.post("/v1/customers", {"name": "Racer X", "email": "api@racer.example"})
    assert racer.status == 201
    path = f"/v1/customers/{patched['id']}"
    edited = api.patch(path, {"notes": "from the API"}, headers={"If-Match": '"1"'})
    assert edited.status == 200 and edited.header("ETag") == '"2"'
    runner()(follow_on, FakeContext())

    done = record(api, import_id)
    assert done["status"] == "completed_with_errors"
    assert done["counts"]["customers"] | {"warned": 0} == {
        "created": 1, "updated": 0, "unchanged": 0, "failed": 2, "warned": 0,
    }  # fmt: skip
    assert done["counts"]["contacts"]["failed"] == 1 and done["counts"]["contacts"]["created"] == 0
    assert done["rows_done"] == done["rows_total"] == 4
    lost = {(e["sheet"], e["row"]): e["message"] for e in done["errors"]}
    assert lost[("Customers", 2)] == RACE and lost[("Customers", 3)] == RACE
    assert lost[("Contacts", 2)] == f"its customer (row 2 of Customers) was {RACE}"
    summary = s3_json(done["results_url"])
    assert summary["errors_total"] == 3 and summary["counts"] == done["counts"]
    assert sum(e["message"].endswith(RACE) for e in summary["errors"]) == 3

    # One "Racer X": the API's, whole, with its claims: it can be renamed and found.
    (only,) = _customers_named(api, "Racer X")
    assert only["id"] == racer.json["id"] and only["email"] == "api@racer.example"
    renamed = api.patch(f"/v1/customers/{only['id']}", {"name": "Racer Y"})
    assert renamed.status == 200, renamed.json
    assert [c["id"] for c in api.get("/v1/customers?q=racer").json["items"]] == [only["id"]]
    assert api.get(f"/v1/customers/{only['id']}/contacts").json["items"] == []
    # The PATCH keeps its values under its version; the import wrote nothing of that row.
    after = api.get(path)
    assert after.json["notes"] == "from the API" and after.header("ETag") == '"2"'
    assert [c["name"] for c in _customers_named(api, "Calm Co")] == ["Calm Co"]


def test_a_crash_after_updates_were_written_resumes_without_false_races(api, aws, tmp_path):
    # Enough updates for several write groups (ITEMS_PER_CHECKPOINT items each).
    CUSTOMERS = 150  # noqa: N806
    for n in range(CUSTOMERS):
        api.post("/v1/customers", {"name": f"Customer {n:03d}"})
    rows = {
        "customers": [
            {"Customer Name": f"Customer {n:03d}", "Email": f"c{n}@example.com"}
            for n in range(CUSTOMERS)
        ]
    }
    import_id, key = upload(api, aws, rows, tmp_path=tmp_path)

    def crash(index):
        if index == 1:  # group 1 is written, its checkpoint is not
            raise RuntimeError("injected crash after a group's writes")

    with pytest.raises(RuntimeError):
        deliver(key, run=runner(after_batch=crash))
    assert record(api, import_id)["status"] == "running"
    deliver(key)  # SQS delivers the same message again

    done = record(api, import_id)
    assert done["status"] == "succeeded", done["errors"]
    assert done["counts"]["customers"]["updated"] == CUSTOMERS and done["errors_total"] == 0
    customers = stored(api.tenant).customers.values()
    assert {c["version"] for c in customers} == {2}
    assert all(c["email"] for c in customers)


def test_a_lost_customer_keeps_its_contact_out_across_a_crash_and_later_groups(
    api, aws, tmp_path, monkeypatch
):
    fillers = [
        {"Customer Name": f"Filler {n:03d}", "Email": f"f{n}@example.com"} for n in range(80)
    ]
    rows = {
        "customers": [{"Customer Name": "Racer X"}, *fillers],
        "contacts": [{"Customer Import ID or Name": "Racer X", "First Name": "Rita"}],
    }
    import_id, follow_on = _planned_not_written(api, aws, rows, tmp_path, monkeypatch)
    racer = api.post("/v1/customers", {"name": "Racer X"}).json

    def crash(index):
        if index == 1:  # group 0 (Racer X lost) is checkpointed; group 1 is not
            raise RuntimeError("injected crash after a group's writes")

    with pytest.raises(RuntimeError):
        runner(after_batch=crash)(follow_on, FakeContext())
    runner()(follow_on, FakeContext())  # SQS delivers the follow-on again

    done = record(api, import_id)
    assert done["status"] == "completed_with_errors", done
    assert done["counts"]["customers"]["created"] == 80
    assert done["counts"]["contacts"] == {
        "created": 0, "updated": 0, "unchanged": 0, "failed": 1, "warned": 0,
    }  # fmt: skip
    assert done["errors_total"] == 2 and done["rows_done"] == 82
    assert _items(api.tenant, "contact") == []  # none, not even under the lost customer's id
    assert [c["id"] for c in _customers_named(api, "Racer X")] == [racer["id"]]
    summary = s3_json(done["results_url"])
    assert [e["row"] for e in summary["errors"]] == [2, 2]
