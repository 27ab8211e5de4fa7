"""A customer POST reads the tenant's reference data once; a warm process keeps it for seconds.

DynamoDB requests are counted by a botocore event hook on the store's one client, so every
request the app sends to moto is seen, whatever sends it.
"""

from __future__ import annotations

import json

import pytest

# The partitions of reference data (chalicelib/store/{lookups,users,custom_fields,...}.py).
REFERENCE_PARTITIONS = ("#LOOKUP#", "#USER", "#CUSTOMFIELD", "#SETTINGS")


@pytest.fixture
def dynamodb_calls(aws):
    """Every DynamoDB request the store sends: (operation, its JSON body as text)."""
    from chalicelib.store.records import connection

    calls: list[tuple[str, str]] = []

    def record(model, params, **_):
        # PynamoDB serialises the request itself: botocore sees the finished JSON body.
        body = params.get("body") or b"{}"
        calls.append((model.name, body.decode() if isinstance(body, bytes) else body))

    events = connection().client.meta.events
    events.register("before-call.dynamodb", record, unique_id="count-reference-reads")
    yield calls
    events.unregister("before-call.dynamodb", unique_id="count-reference-reads")


def reference_reads(calls: list[tuple[str, str]]) -> list[str]:
    """The reads among ``calls`` that fetch a reference partition, by partition."""
    reads = []
    for operation, params in calls:
        if operation not in ("Query", "GetItem"):
            continue
        values = json.loads(params)
        keys = {**values.get("Key", {}), **values.get("ExpressionAttributeValues", {})}
        for value in keys.values():
            text = value.get("S", "")
            if any(part in text for part in REFERENCE_PARTITIONS):
                reads.append(text)
    return reads


def lookup(api, kind, name, **extra):
    reply = api.post(f"/v1/lookups/{kind}", {"name": name, **extra})
    assert reply.status == 201, reply.json
    return reply.json["id"]


def test_a_post_reads_each_kind_of_reference_data_once(api, dynamodb_calls):
    term = lookup(api, "payment-terms", "Net 30", due_days=30, due_basis="invoice_date")
    dynamodb_calls.clear()

    reply = api.post("/v1/customers", {"name": "Acme Pty", "payment_term_id": term})

    assert reply.status == 201, reply.json
    reads = reference_reads(dynamodb_calls)
    assert sorted(reads) == sorted(set(reads))  # no partition read twice
    assert any("#LOOKUP#payment-terms" in read for read in reads)
    assert any(read.endswith("#USER") for read in reads)


def test_a_warm_process_reads_no_reference_data_for_the_next_post(api, dynamodb_calls):
    api.post("/v1/customers", {"name": "First Pty"})
    first = len(dynamodb_calls)
    dynamodb_calls.clear()

    reply = api.post("/v1/customers", {"name": "Second Pty"})

    assert reply.status == 201, reply.json
    assert reference_reads(dynamodb_calls) == []
    assert len(dynamodb_calls) <= first - 6  # 4 lookup kinds, users, custom fields, settings


def test_a_lookup_is_usable_at_once_by_the_process_that_created_it(api):
    assert api.post("/v1/customers", {"name": "Warm Pty"}).status == 201  # the cache is warm
    term = lookup(api, "payment-terms", "Net 7", due_days=7, due_basis="invoice_date")
    user = api.post("/v1/users", {"name": "Sam", "email": "sam@example.com"}).json["id"]

    reply = api.post(
        "/v1/customers", {"name": "Cold Pty", "payment_term_id": term, "assigned_user_id": user}
    )

    assert reply.status == 201, reply.json
    assert (reply.json["payment_term_id"], reply.json["assigned_user_id"]) == (term, user)


def test_reference_data_is_read_again_once_it_is_older_than_the_ttl(
    api, dynamodb_calls, monkeypatch
):
    from chalicelib.store import reference_cache

    api.post("/v1/customers", {"name": "First Pty"})
    later = reference_cache.time.monotonic() + 6  # the default TTL is 5 s
    monkeypatch.setattr(reference_cache.time, "monotonic", lambda: later)
    dynamodb_calls.clear()

    assert api.post("/v1/customers", {"name": "Second Pty"}).status == 201

    assert any("#LOOKUP#" in read for read in reference_reads(dynamodb_calls))
