"""An import always ends: unexpected errors fail it with a message, an upload that never comes
expires it, and a file the chosen source cannot read is refused before any upload."""

from __future__ import annotations

import json

import pytest

from tests.functional.test_template_import import (
    FakeContext,
    record,
    runner,
    s3_event,
    stored,
    upload,
)

ROWS = {"customers": [{"Customer Name": f"Customer {n:02d}"} for n in range(30)]}


def deliver_as(key: str, receives: int, message_id: str = "m-1") -> None:
    """The S3 notification of ``key`` through the worker's entry point, as SQS's n-th delivery."""
    from chalicelib import aws as clients
    from chalicelib.settings import get_settings

    size = clients.client("s3").head_object(Bucket=get_settings().bucket_name, Key=key)
    event = s3_event(key, size["ContentLength"], message_id)
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(receives)
    runner()(event, FakeContext())


def _raise(error: Exception):
    def broken(*args, **kwargs):
        raise error

    return broken


# Each stage's entry as the worker reaches it; each error is one a retry cannot fix.
STAGES = {
    "read": ("chalicelib.imports.read.analyse._download", KeyError("s3_key")),
    "plan": ("chalicelib.imports.plan.run._learn", TypeError("bad plan")),
    "write": ("chalicelib.store.row_transactions.write_row", ValueError("bad batch")),
    "finish": ("chalicelib.imports.report.finish.finish", AttributeError("no counts")),
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_an_error_no_retry_can_fix_fails_the_import_at_once_and_for_good(
    api, aws, tmp_path, monkeypatch, stage
):
    target, error = STAGES[stage]
    import_id, key = upload(api, aws, ROWS, tmp_path=tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(target, _raise(error))
        deliver_as(key, receives=1)  # consumed: no exception reaches Lambda, no retry

    failed = record(api, import_id)
    assert failed["status"] == "failed", failed
    assert type(error).__name__ in failed["message"]
    assert "upload the file again" in failed["message"]

    deliver_as(key, receives=2)  # the same message again, the stage mended: nothing revives it
    again = record(api, import_id)
    assert again["status"] == "failed" and again["message"] == failed["message"]
    if stage != "finish":
        assert not stored(api.tenant).customers


def test_a_retryable_error_is_retried_and_the_last_delivery_fails_the_import(
    api, aws, tmp_path, monkeypatch
):
    import_id, key = upload(api, aws, ROWS, tmp_path=tmp_path)
    monkeypatch.setattr(
        "chalicelib.store.row_transactions.write_row", _raise(ConnectionError("DynamoDB away"))
    )
    for receives in range(1, 5):
        with pytest.raises(ConnectionError):
            deliver_as(key, receives=receives)
        assert record(api, import_id)["status"] == "running"

    deliver_as(key, receives=5)  # the redrive policy's last: next stop would be the DLQ

    failed = record(api, import_id)
    assert failed["status"] == "failed"
    assert "ConnectionError" in failed["message"] and "rows were handled" in failed["message"]
    assert failed["attempts"] == 5
    monkeypatch.undo()
    deliver_as(key, receives=6)
    assert record(api, import_id)["status"] == "failed"
    assert not stored(api.tenant).customers


def test_a_crash_that_a_retry_mends_still_completes_the_import(api, aws, tmp_path, monkeypatch):
    import_id, key = upload(api, aws, ROWS, tmp_path=tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr("chalicelib.imports.plan.run._learn", _raise(RuntimeError("crash")))
        with pytest.raises(RuntimeError):
            deliver_as(key, receives=1)

    deliver_as(key, receives=2)

    done = record(api, import_id)
    assert done["status"] == "succeeded", done["message"]
    assert done["counts"]["customers"]["created"] == 30


def test_the_worker_stops_at_the_queues_redrive_limit():
    from chalicelib.imports.worker import MAX_RECEIVES
    from tests.conftest import ROOT

    resources = json.loads((ROOT / "infra" / "resources.json").read_text())
    policy = resources["Resources"]["ImportQueue"]["Properties"]["RedrivePolicy"]
    assert policy["maxReceiveCount"] == MAX_RECEIVES


# -- uploads that never come, or come late -------------------------------------------------


def test_an_import_whose_upload_never_arrives_ends_expired(api, aws, monkeypatch):
    fresh = api.post("/v1/imports", {"source": "template", "file_name": "fresh.xlsx"}).json
    # Links made now have expired already (a negative grace stands in for waiting 25 minutes).
    monkeypatch.setattr("chalicelib.imports.service.UPLOAD_GRACE_SECONDS", -3600)
    stale = api.post("/v1/imports", {"source": "template", "file_name": "stale.xlsx"}).json
    assert stale["status"] == "queued"

    listed = {i["id"]: i for i in api.get("/v1/imports").json["items"]}
    assert listed[stale["id"]]["status"] == "expired"
    assert listed[fresh["id"]]["status"] == "queued"
    expired = record(api, stale["id"])
    assert expired["status"] == "expired" and expired["finished_at"]
    assert "upload link expired" in expired["message"]


def test_a_file_arriving_after_its_link_expired_is_refused_saying_so(
    api, aws, tmp_path, monkeypatch
):
    monkeypatch.setattr("chalicelib.imports.service.UPLOAD_GRACE_SECONDS", -3600)
    import_id, key = upload(api, aws, ROWS, tmp_path=tmp_path)

    deliver_as(key, receives=1)

    late = record(api, import_id)
    assert late["status"] == "expired"
    assert "arrived after the upload link expired" in late["message"]
    assert not stored(api.tenant).customers


def test_a_csv_sent_as_a_template_is_refused_with_a_hint(api, aws):
    reply = api.post("/v1/imports", {"source": "template", "file_name": "customers.csv"})
    assert reply.status == 422
    assert reply.content_type.startswith("application/problem+json")
    assert "own_format" in reply.json["detail"]
    assert api.get("/v1/imports").json["items"] == []


def test_own_format_records_carry_the_target_given_or_the_one_they_ran_for(api, aws):
    contacts = api.post(
        "/v1/imports", {"source": "own_format", "file_name": "p.csv", "target": "contacts"}
    ).json
    assert contacts["target"] == "contacts"
    assert record(api, contacts["id"])["target"] == "contacts"
    # Without one, analysing sets it: see test_own_format_loop (needs_mapping names "customers").


# -- a Lambda killed on the last delivery: the dead-letter queue closes its work ---------------


class Killed(BaseException):
    """What a Lambda killed by its time limit or memory looks like to our code: nothing runs
    after it (``except Exception`` does not catch it), so the record stays as it was."""


def _kill_every_delivery(monkeypatch) -> None:
    def killed(*args, **kwargs):
        raise Killed

    monkeypatch.setattr("chalicelib.store.row_transactions.write_row", killed)


def test_a_message_sqs_gives_up_on_reaches_the_dead_letter_handler_which_fails_its_import(
    api, aws, tmp_path, monkeypatch
):
    """Real SQS redrive (moto): the import queue's message, received MAX_RECEIVES times by a
    worker killed each time, moves to the dead-letter queue; the pump hands it to
    app.import_dead_letters as Lambda's mapping would, and the import ends failed."""
    from app import import_dead_letters, import_worker
    from chalicelib import aws as clients
    from chalicelib.imports.worker import MAX_RECEIVES
    from chalicelib.settings import get_settings
    from devstack.pump import receive_and_handle

    import_id, key = upload(api, aws, ROWS, tmp_path=tmp_path)
    settings, sqs = get_settings(), clients.client("sqs")
    size = clients.client("s3").head_object(Bucket=settings.bucket_name, Key=key)
    notification = s3_event(key, size["ContentLength"])["Records"][0]["body"]
    sqs.purge_queue(QueueUrl=settings.import_queue_url)  # moto's own notifications of the stack
    sqs.send_message(QueueUrl=settings.import_queue_url, MessageBody=notification)
    _kill_every_delivery(monkeypatch)
    for _ in range(MAX_RECEIVES):
        with pytest.raises(Killed):
            receive_and_handle(
                import_worker,
                settings.import_queue_url,
                wait_seconds=0,
                lease_seconds=0,
                renew=False,
            )
        assert record(api, import_id)["status"] == "running"

    assert receive_and_handle(import_worker, settings.import_queue_url, wait_seconds=0) == 0
    assert receive_and_handle(import_dead_letters, settings.import_dlq_url, wait_seconds=0) == 1

    failed = record(api, import_id)
    assert failed["status"] == "failed"
    assert f"stopped {MAX_RECEIVES} times" in failed["message"]
    assert "upload the file again" in failed["message"]
    assert failed["attempts"] == MAX_RECEIVES
    assert receive_and_handle(import_dead_letters, settings.import_dlq_url, wait_seconds=0) == 0


def test_a_dead_letter_leaves_an_import_another_delivery_holds_or_that_finished(api, aws, tmp_path):
    from chalicelib.imports.dead_letters import handle_dead_letters

    import_id, key = upload(api, aws, ROWS, tmp_path=tmp_path)
    deliver_as(key, receives=1, message_id="m-finished")
    assert record(api, import_id)["status"] == "succeeded"

    handle_dead_letters(s3_event(key, 1, message_id="m-finished"))  # e.g. a late duplicate
    assert record(api, import_id)["status"] == "succeeded"

    # An import a live delivery holds is not the dead message's to close.
    from chalicelib.store import imports as records

    other_id, other_key = upload(api, aws, ROWS, tmp_path=tmp_path, name="other.xlsx")
    assert records.claim_import(
        records.get_import(api.tenant, other_id), owner="m-alive", etag=None
    )
    handle_dead_letters(s3_event(other_key, 1, message_id="m-dead"))
    assert record(api, other_id)["status"] == "running"


def test_a_dead_export_message_fails_its_export(api, aws):
    from chalicelib.imports.dead_letters import handle_dead_letters
    from chalicelib.messages import export_body

    created = api.post("/v1/exports", {"targets": ["customers"]})
    export_id = created.json["id"]
    event = {"Records": [{"messageId": "m-export", "body": export_body(api.tenant, export_id)}]}
    handle_dead_letters(event)

    failed = api.get(f"/v1/exports/{export_id}").json
    assert failed["status"] == "failed"
    assert "try again" in failed["message"]
