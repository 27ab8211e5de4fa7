"""Webhook subscriptions over HTTP, and the delivery handler against moto's FIFO queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.events.signing import verify
from tests.functional.test_change_events import handle, recorded
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def subscribe(api, url: str, types=("*",), **extra) -> dict:
    reply = api.post("/v1/webhooks", {"url": url, "event_types": list(types), **extra})
    assert reply.status == 201, reply.json
    return reply.json


def test_an_admin_creates_reads_changes_and_removes_a_subscription(api):
    created = api.post(
        "/v1/webhooks",
        {"url": "http://127.0.0.1:9/hook", "event_types": ["customer.*"], "description": "CRM"},
    )
    assert created.status == 201 and created.json["secret"].startswith("whsec_")
    hook = created.json
    assert created.header("Location") == f"/v1/webhooks/{hook['id']}"
    read = api.get(f"/v1/webhooks/{hook['id']}")
    assert read.status == 200 and "secret" not in read.json and read.header("ETag") == '"1"'
    assert [h["id"] for h in api.get("/v1/webhooks").json["items"]] == [hook["id"]]
    changed = api.patch(
        f"/v1/webhooks/{hook['id']}",
        {
            "active": False,
            "event_types": ["customer.created", "import.finished"],
            "description": None,
        },
        headers={"If-Match": '"1"'},
    )
    assert changed.status == 200 and changed.json["active"] is False
    assert changed.json["event_types"] == ["customer.created", "import.finished"]
    assert changed.json["description"] is None and changed.json["version"] == 2
    stale = api.patch(f"/v1/webhooks/{hook['id']}", {"active": True}, headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert api.delete(f"/v1/webhooks/{hook['id']}").status == 204
    assert api.get(f"/v1/webhooks/{hook['id']}").status == 404


def test_only_admins_manage_webhooks(staff):
    assert staff.get("/v1/webhooks").status == 403
    reply = staff.post("/v1/webhooks", {"url": "http://127.0.0.1:9/", "event_types": ["*"]})
    assert reply.status == 403


@pytest.mark.parametrize(
    "url",
    ["http://93.184.215.14/hook", "https://127.0.0.1/hook", "https://169.254.169.254/x"],
)
def test_aws_stages_refuse_plain_http_and_private_addresses(api, monkeypatch, url):
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("STAGE", "dev")
    reset_settings()
    reply = api.post("/v1/webhooks", {"url": url, "event_types": ["*"]})
    assert reply.status == 422 and reply.json["errors"][0]["field"] == "url"


def test_unknown_event_types_are_refused(api):
    reply = api.post("/v1/webhooks", {"url": "http://127.0.0.1:9/", "event_types": ["lead.won"]})
    assert reply.status == 422 and "lead.won" in reply.json["errors"][0]["message"]


def test_a_rotated_secret_signs_beside_the_old_one_for_24_hours(api):
    from chalicelib.store.webhooks import get_webhook

    hook = subscribe(api, "http://127.0.0.1:9/hook")
    rotated = api.post(f"/v1/webhooks/{hook['id']}/rotate-secret")
    assert rotated.status == 200 and rotated.json["secret"] != hook["secret"]
    item = get_webhook(api.tenant, hook["id"])
    now = datetime.now(UTC)
    assert item.signing_secrets(now) == [rotated.json["secret"], hook["secret"]]
    assert item.signing_secrets(now + timedelta(hours=25)) == [rotated.json["secret"]]
    assert "secret" not in api.get(f"/v1/webhooks/{hook['id']}").json


# --- delivery ------------------------------------------------------------------------


def receive_all(queue_url: str) -> list[dict]:
    """Every visible message of a FIFO queue, as Lambda's SQS records."""
    from chalicelib.aws import client
    from devstack.pump import lambda_event

    sqs = client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    records = []
    while True:
        reply = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        )
        if not reply.get("Messages"):
            return records
        records += [lambda_event(m, arn)["Records"][0] for m in reply["Messages"]]


def deliver(records: list[dict]) -> list[dict]:
    from app import webhook_delivery

    return [webhook_delivery({"Records": [r]}, None) for r in records]


def test_a_delivery_is_a_signed_post_and_is_logged(acme, events_env, receiver):
    hook = subscribe(acme, receiver.url, ["customer.created"])
    handle(recorded("customer_created"))
    (record,) = receive_all(events_env.webhook_queue_url)
    assert deliver([record]) == [{"batchItemFailures": []}]
    (got,) = receiver.accepted()
    assert got.event["type"] == "customer.created"
    assert got.headers["Sitebook-Event-Id"] == got.event["id"]
    assert verify(hook["secret"], got.headers["Sitebook-Signature"], got.body)
    (attempt,) = acme.get(f"/v1/webhooks/{hook['id']}/deliveries").json["items"]
    assert attempt["status_code"] == 204 and attempt["event_id"] == got.event["id"]
    assert attempt["succeeded"] and attempt["error"] is None and attempt["duration_ms"] >= 0


def test_a_refused_delivery_waits_its_backoff_then_goes_to_the_dead_letter_queue(
    acme, events_env, monkeypatch
):
    from chalicelib.settings import reset_settings

    receiver = Receiver(refuse_first=100).start()
    try:
        hook = subscribe(acme, receiver.url, ["customer.*"])
        handle(recorded("customer_created"))
        (record,) = receive_all(events_env.webhook_queue_url)
        assert deliver([record]) == [
            {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
        ]
        assert receive_all(events_env.webhook_queue_url) == []  # hidden for its backoff
        shown = acme.get(f"/v1/webhooks/{hook['id']}").json
        assert shown["failing"] is False and shown["last_error"].startswith("HTTP 500")

        monkeypatch.setenv("WEBHOOK_RETRY_WINDOW_SECONDS", "0")  # the 24 h are over
        reset_settings()
        assert deliver([record]) == [{"batchItemFailures": []}]
        (dead,) = receive_all(events_env.webhook_dead_letter_queue_url)
        assert json.loads(dead["body"])["event"]["type"] == "customer.created"
        shown = acme.get(f"/v1/webhooks/{hook['id']}").json
        assert shown["failing"] is True and shown["last_error"].startswith("HTTP 500")
        attempts = acme.get(f"/v1/webhooks/{hook['id']}/deliveries").json["items"]
        assert [a["status_code"] for a in attempts] == [500, 500]
    finally:
        receiver.stop()


def test_a_redirect_is_not_followed(acme, events_env):
    receiver = Receiver(refuse_first=1, refuse_status=302).start()
    try:
        hook = subscribe(acme, receiver.url)
        handle(recorded("customer_created"))
        deliver(receive_all(events_env.webhook_queue_url))
        assert len(receiver.requests) == 1
        (attempt,) = acme.get(f"/v1/webhooks/{hook['id']}/deliveries").json["items"]
        assert attempt["status_code"] == 302 and "redirects are not followed" in attempt["error"]
    finally:
        receiver.stop()


def test_queued_deliveries_of_a_deactivated_subscription_are_dropped(acme, events_env, receiver):
    hook = subscribe(acme, receiver.url)
    handle(recorded("customer_created"))
    acme.patch(f"/v1/webhooks/{hook['id']}", {"active": False})
    assert deliver(receive_all(events_env.webhook_queue_url)) == [{"batchItemFailures": []}]
    assert receiver.requests == []


def test_inactive_subscriptions_and_other_types_get_no_delivery(acme, events_env):
    subscribe(acme, "http://127.0.0.1:9/a", ["contact.*"])
    subscribe(acme, "http://127.0.0.1:9/b", ["*"], active=False)
    assert handle(recorded("customer_lifecycle")) == {"events": 3, "deliveries": 0}


def test_a_ping_is_queued_for_the_subscription(acme, events_env, receiver):
    hook = subscribe(acme, receiver.url, ["import.finished"])
    sent = acme.post(f"/v1/webhooks/{hook['id']}/test")
    assert sent.status == 202 and sent.json["type"] == "ping"
    deliver(receive_all(events_env.webhook_queue_url))
    (got,) = receiver.accepted()
    assert got.event["id"] == sent.json["id"]
