"""Idempotency-Key on POST: one effect per key and body, the first answer replayed, per tenant."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

KEY = "Idempotency-Key"


def key() -> dict[str, str]:
    return {KEY: str(uuid.uuid4())}


def customers(api, status="active"):
    return api.get(f"/v1/customers?status={status}").json["items"]


def test_a_retried_create_makes_one_customer_and_answers_the_same(api):
    headers = key()
    first = api.post("/v1/customers", {"company_name": "Harbourside Realty"}, headers=headers)
    again = api.post("/v1/customers", {"company_name": "Harbourside Realty"}, headers=headers)

    assert first.status == again.status == 201
    assert again.body == first.body
    for name in ("Location", "ETag", "Content-Type"):
        assert again.header(name) == first.header(name)
    assert first.header("Idempotent-Replayed") is None
    assert again.header("Idempotent-Replayed") == "true"
    assert [c["id"] for c in customers(api)] == [first.json["id"]]


def test_the_same_body_spelt_differently_is_the_same_request(api):
    headers = key()
    first = api.post(
        "/v1/customers", raw=b'{"name": "Ace", "phone": "0412 345 678"}', headers=headers
    )
    again = api.post("/v1/customers", raw=b'{"phone":"0412 345 678","name":"Ace"}', headers=headers)
    assert (first.status, again.status) == (201, 201) and again.json == first.json


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(api):
    headers = key()
    api.post("/v1/customers", {"name": "Bayside Plumbing"}, headers=headers)
    other = api.post("/v1/customers", {"name": "Bayside Electrical"}, headers=headers)

    assert other.status == 422
    assert other.content_type == "application/problem+json"
    assert other.json["type"] == "/problems/idempotency-key-reused"
    assert "different request" in other.json["detail"]
    assert [c["name"] for c in customers(api)] == ["Bayside Plumbing"]


def test_another_tenant_with_the_same_key_gets_its_own_customer(api):
    headers = key()
    mine = api.post("/v1/customers", {"name": "Shared Name"}, headers=headers)
    theirs = api.as_(tenant=f"t-{uuid.uuid4().hex[:10]}").post(
        "/v1/customers", {"name": "Shared Name"}, headers=headers
    )
    assert (mine.status, theirs.status) == (201, 201)
    assert theirs.header("Idempotent-Replayed") is None
    assert theirs.json["id"] != mine.json["id"]


def test_the_same_key_on_two_routes_does_not_collide(api):
    headers = key()
    made = api.post("/v1/customers", {"name": "Keyed Customer"}, headers=headers)
    kind = api.post("/v1/lookups/customer-types", {"name": "Keyed Type"}, headers=headers)
    contact = api.post(
        f"/v1/customers/{made.json['id']}/contacts", {"first_name": "Ann"}, headers=headers
    )
    assert (made.status, kind.status, contact.status) == (201, 201, 201)
    assert kind.json["name"] == "Keyed Type" and contact.json["first_name"] == "Ann"


def test_the_same_key_for_two_customers_children_does_not_collide(api):
    headers = key()
    first = api.post("/v1/customers", {"name": "First Site"}).json["id"]
    second = api.post("/v1/customers", {"name": "Second Site"}).json["id"]
    a = api.post(f"/v1/customers/{first}/contacts", {"first_name": "Bo"}, headers=headers)
    b = api.post(f"/v1/customers/{second}/contacts", {"first_name": "Bo"}, headers=headers)
    assert (a.status, b.status) == (201, 201) and a.json["id"] != b.json["id"]


def test_a_request_still_running_with_the_key_is_a_409(api, monkeypatch):
    from chalicelib.services import customers as service

    real, entered, release = service.create_customer, threading.Event(), threading.Event()

    def held(*args, **kwargs):
        entered.set()
        assert release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "create_customer", held)
    headers, first = key(), []
    worker = threading.Thread(
        target=lambda: first.append(api.post("/v1/customers", {"name": "Slow"}, headers=headers))
    )
    worker.start()
    try:
        assert entered.wait(10)
        meanwhile = api.post("/v1/customers", {"name": "Slow"}, headers=headers)
    finally:
        release.set()
        worker.join()

    assert meanwhile.status == 409
    assert meanwhile.json["type"] == "/problems/idempotency-key-in-use"
    assert meanwhile.header("Retry-After") == "1"
    assert first[0].status == 201
    after = api.post("/v1/customers", {"name": "Slow"}, headers=headers)
    assert after.status == 201 and after.json == first[0].json
    assert len(customers(api)) == 1


def test_a_request_that_died_holding_the_key_frees_it_when_its_lambda_would_have(api, monkeypatch):
    from chalice.local import LambdaContext

    from chalicelib.services import customers as service

    # The key is held for the time the Lambda has left; say none is left, then crash
    # (SystemExit passes every handler, as a killed Lambda would) after the record is written.
    monkeypatch.setattr(LambdaContext, "get_remaining_time_in_millis", lambda _: 0)

    def killed(*args, **kwargs):
        raise SystemExit("the Lambda was killed")

    headers = key()
    with monkeypatch.context() as patch:
        patch.setattr(service, "create_customer", killed)
        with pytest.raises(SystemExit):
            api.post("/v1/customers", {"name": "Phoenix"}, headers=headers)
    time.sleep(0.01)
    retried = api.post("/v1/customers", {"name": "Phoenix"}, headers=headers)
    assert retried.status == 201 and retried.header("Idempotent-Replayed") is None


def test_a_validation_error_is_kept_and_replayed_not_turned_into_success(api):
    headers = key()
    bad = {"name": "Bad Email Co", "email": "not-an-email"}
    first = api.post("/v1/customers", bad, headers=headers)
    again = api.post("/v1/customers", bad, headers=headers)
    fixed = api.post("/v1/customers", {**bad, "email": "office@bad.example"}, headers=headers)

    assert first.status == again.status == 422 and again.json == first.json
    assert again.header("Idempotent-Replayed") == "true"
    assert fixed.status == 422 and fixed.json["type"] == "/problems/idempotency-key-reused"
    assert customers(api) == []
    with_new_key = api.post("/v1/customers", {**bad, "email": "office@bad.example"}, headers=key())
    assert with_new_key.status == 201


def test_a_conflict_is_not_kept_so_the_key_can_be_retried(api):
    taken = api.post("/v1/customers", {"name": "Taken Name"}).json
    headers = key()
    first = api.post("/v1/customers", {"name": "Taken Name"}, headers=headers)
    assert first.status == 409 and first.header("Idempotent-Replayed") is None

    api.patch(f"/v1/customers/{taken['id']}", {"name": "Renamed"}, headers={"If-Match": '"1"'})
    retried = api.post("/v1/customers", {"name": "Taken Name"}, headers=headers)
    assert retried.status == 201 and retried.header("Idempotent-Replayed") is None


def test_a_server_error_is_not_kept_so_the_key_can_be_retried(api, monkeypatch):
    from chalicelib.services import customers as service

    real, calls = service.create_customer, []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("DynamoDB had a bad moment")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "create_customer", fails_once)
    headers = key()
    first = api.post("/v1/customers", {"name": "Second Time Lucky"}, headers=headers)
    retried = api.post("/v1/customers", {"name": "Second Time Lucky"}, headers=headers)
    assert (first.status, retried.status) == (500, 201)
    assert len(calls) == 2 and len(customers(api)) == 1


def test_without_the_header_every_post_does_the_work(api):
    api.post("/v1/lookups/customer-types", {"name": "Once"})
    again = api.post("/v1/lookups/customer-types", {"name": "Once"})
    assert again.status == 409


@pytest.mark.parametrize("value", ["", "x" * 256, "kéy"])
def test_a_key_that_is_empty_too_long_or_not_ascii_is_a_400(api, value):
    reply = api.post("/v1/customers", {"name": "Any"}, headers={KEY: value})
    assert reply.status == 400 and KEY in reply.json["detail"]
    assert customers(api) == []


def test_records_live_in_the_tenants_partition_and_expire_by_the_tables_ttl(api, aws):
    from chalicelib.api import idempotency
    from chalicelib.aws import client
    from chalicelib.settings import get_settings

    api.post("/v1/customers", {"name": "Kept"}, headers=key())
    dynamodb = client("dynamodb")
    table = get_settings().table_name
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"{api.tenant}#IDEMPOTENCY"}},
    )["Items"]
    assert len(items) == 1 and items[0]["sk"]["S"].startswith("IDEMPOTENCY#")
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == idempotency.TTL_ATTRIBUTE
    expires = int(items[0][idempotency.TTL_ATTRIBUTE]["N"])
    assert abs(expires - (time.time() + 24 * 3600)) < 60


def test_kept_headers_are_replayed_and_per_request_ones_are_not():
    from chalice import Response

    from chalicelib.api.idempotency import as_record, as_response

    kept = as_record(
        Response(
            body={"id": "c1"},
            status_code=201,
            headers={
                "Content-Type": "application/json",
                "Location": "/v1/customers/c1",
                "ETag": '"1"',
                "X-Request-Id": "r-1",
            },
        )
    )
    replay = as_response({**kept, "replayed": True})
    assert replay.status_code == 201 and replay.body == '{"id":"c1"}'
    assert replay.headers == {
        "Content-Type": "application/json",
        "Location": "/v1/customers/c1",
        "ETag": '"1"',
        "Idempotent-Replayed": "true",
    }


def test_every_post_documents_the_idempotency_key(api):
    document = api.get("/v1/openapi.json", token=False).json
    posts = {path: ops["post"] for path, ops in document["paths"].items() if "post" in ops}
    assert posts
    for path, op in posts.items():
        headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path
        assert {"409", "422"} <= set(op["responses"]), path
