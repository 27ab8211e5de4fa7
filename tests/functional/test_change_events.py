"""Table changes → events: recorded stream records through the handler, then the change feed."""

from __future__ import annotations

import copy
import json
import uuid

from tests.conftest import ROOT
from tests.functional.conftest import Api

EVENTS = ROOT / "tests" / "events"
TENANT = "acme"  # the tenant the recordings were made in (and the acme fixture)


def recorded(name: str) -> dict:
    return json.loads((EVENTS / f"stream_{name}.json").read_text())


def handle(event: dict) -> dict:
    from app import change_events

    return change_events(event, None)


def feed(api: Api, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    reply = api.get(f"/v1/events?{query}")
    assert reply.status == 200, reply.json
    return reply.json


def all_events(api: Api, **params) -> list[dict]:
    return feed(api, limit=200, **params)["items"]


def test_a_customer_created_updated_and_archived_gives_three_events_with_the_record(acme):
    handle(recorded("customer_lifecycle"))
    events = all_events(acme)
    assert [e["type"] for e in events] == [
        "customer.created",
        "customer.updated",
        "customer.archived",
    ]
    created, updated, archived = events
    assert {e["tenant"] for e in events} == {TENANT}
    assert created["data"]["record"]["company_name"] == "Harbour Cafe"
    assert "email" in created["data"]["changed_fields"]
    assert updated["data"]["changed_fields"] == ["phone", "phone_e164"]
    assert updated["data"]["previous"] == {"phone": None, "phone_e164": None}
    assert updated["data"]["record"]["phone_e164"] == "+61291234567"
    assert archived["data"]["changed_fields"] == ["status"]
    assert archived["data"]["record"]["status"] == "archived"
    assert archived["data"]["record"]["version"] == 3


def test_an_events_record_has_the_shape_get_returns(acme):
    from chalicelib.api.customer_schemas import Customer

    handle(recorded("customer_created"))
    (event,) = all_events(acme)
    record = event["data"]["record"]
    assert set(record) == set(Customer.model_fields)
    Customer.model_validate(record)
    assert event["id"].startswith("evt_") and event["occurred_at"].endswith("Z")


def test_contacts_and_equipment_are_created_updated_and_deleted(acme):
    handle(recorded("contact_lifecycle"))
    handle(recorded("equipment_lifecycle"))
    events = all_events(acme)
    assert [e["type"] for e in events] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
        "equipment.created",
        "equipment.updated",
        "equipment.deleted",
    ]
    contact_deleted, equipment_updated = events[2], events[4]
    assert contact_deleted["data"]["record"]["last_name"] == "Lee"  # the record as it was
    assert contact_deleted["data"]["changed_fields"] == []
    assert equipment_updated["data"]["changed_fields"] == ["serial_number"]


def test_claims_lookups_search_tokens_and_counters_give_no_event(acme):
    assert handle(recorded("claim_only")) == {"events": 0, "deliveries": 0}
    assert handle(recorded("lookup"))["events"] == 0
    lifecycle = recorded("customer_lifecycle")
    internal = [r for r in lifecycle["Records"] if entity_of(r) != "customer"]
    assert {entity_of(r) for r in internal} >= {"unique", "search_token", "counter"}
    assert handle({"Records": internal})["events"] == 0
    assert all_events(acme) == []


def entity_of(record: dict) -> str | None:
    image = record["dynamodb"].get("NewImage") or record["dynamodb"]["OldImage"]
    return image.get("entity", {}).get("S")


def test_an_import_reaching_succeeded_gives_one_import_finished(acme):
    assert handle(recorded("import_succeeded"))["events"] == 1
    (event,) = all_events(acme)
    assert event["type"] == "import.finished"
    assert event["data"]["record"]["status"] == "succeeded"
    assert event["data"]["record"]["counts"]["customers"]["created"] == 1


def test_an_import_undone_gives_import_undone_not_a_second_import_finished(acme):
    stream = recorded("import_succeeded")
    finished = stream["Records"][-1]
    steps = []
    for n, status in enumerate(("undoing", "undone")):
        step = copy.deepcopy(finished)
        step["eventID"] = f"undo-{n}"
        step["dynamodb"]["OldImage"] = (steps[-1] if steps else finished)["dynamodb"]["NewImage"]
        step["dynamodb"]["NewImage"] = copy.deepcopy(step["dynamodb"]["OldImage"])
        step["dynamodb"]["NewImage"]["status"] = {"S": status}
        step["dynamodb"]["SequenceNumber"] = str(
            int(finished["dynamodb"]["SequenceNumber"]) + n + 1
        )
        steps.append(step)
    stream["Records"] += steps

    handle(stream)

    assert [e["type"] for e in all_events(acme)] == ["import.finished", "import.undone"]


def test_a_redelivered_batch_writes_each_event_and_delivery_once(acme, events_env):
    acme.post("/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "event_types": ["*"]})
    batch = recorded("customer_lifecycle")
    first = handle(batch)
    again = handle(copy.deepcopy(batch))
    assert first == again == {"events": 3, "deliveries": 3}
    assert len(all_events(acme)) == 3
    assert queued_messages(events_env.webhook_queue_url) == 3


def queued_messages(queue_url: str) -> int:
    from chalicelib.aws import client

    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_the_feed_pages_in_order_and_a_cursor_polls_later(acme):
    handle(recorded("customer_lifecycle"))
    handle(recorded("contact_lifecycle"))
    everything = [e["id"] for e in all_events(acme)]
    pages, cursor = [], None
    while True:
        page = feed(acme, limit=2, **({"after": cursor} if cursor else {}))
        pages.append([e["id"] for e in page["items"]])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert [i for p in pages for i in p] == everything and len(everything) == 6
    assert feed(acme, after=cursor)["items"] == []  # caught up: keep the cursor
    handle(recorded("equipment_lifecycle"))
    later = feed(acme, after=cursor)
    assert [e["type"] for e in later["items"]] == [
        "equipment.created",
        "equipment.updated",
        "equipment.deleted",
    ]


def test_the_feed_filters_by_type_and_wildcard(acme):
    handle(recorded("customer_lifecycle"))
    handle(recorded("contact_lifecycle"))
    only = all_events(acme, types="customer.archived,contact.*")
    assert [e["type"] for e in only] == [
        "customer.archived",
        "contact.created",
        "contact.updated",
        "contact.deleted",
    ]
    bad = acme.get("/v1/events?types=customer.exploded")
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "types"


def test_events_sharing_a_timestamp_keep_the_streams_order(acme):
    batch = recorded("contact_lifecycle")
    moment = batch["Records"][0]["dynamodb"]["ApproximateCreationDateTime"]
    for record in batch["Records"]:
        record["dynamodb"]["ApproximateCreationDateTime"] = moment
    batch["Records"].reverse()  # arrival order does not matter; the sequence number does
    handle(batch)
    assert [e["type"] for e in all_events(acme)] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
    ]


def test_the_feed_is_the_callers_tenants_and_a_bad_cursor_is_a_400(acme):
    handle(recorded("customer_lifecycle"))
    other = acme.as_(tenant=f"t-{uuid.uuid4().hex[:8]}", role="staff")
    assert feed(other)["items"] == []
    assert len(all_events(acme.as_(role="staff"))) == 3
    assert acme.get("/v1/events?after=not-a-cursor").status == 400
