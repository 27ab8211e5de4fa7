"""A partner retrying POST /v1/customers with an Idempotency-Key, over HTTP on the local stack."""

import uuid

from tests.e2e.conftest import Http, make_token


def test_a_retried_create_makes_one_customer_and_another_body_is_refused(stack, admin):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"company_name": "Retry Plumbing", "phone": "02 9123 4567"}

    first = admin.post("/v1/customers", json=body, headers=key)
    again = admin.post("/v1/customers", json=body, headers=key)
    assert first.status_code == again.status_code == 201, first.text
    assert again.content == first.content
    for name in ("Location", "ETag", "Content-Type"):
        assert again.headers.get(name) == first.headers.get(name)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers

    other = admin.post("/v1/customers", json={**body, "phone": "02 9999 0000"}, headers=key)
    assert other.status_code == 422
    assert other.headers["Content-Type"] == "application/problem+json"
    assert other.json()["type"] == "/problems/idempotency-key-reused"

    listed = admin.get("/v1/customers").json()["items"]
    assert [c["id"] for c in listed] == [first.json()["id"]]

    elsewhere = Http(stack.api_url, make_token(f"e2e-{uuid.uuid4().hex[:8]}"))
    theirs = elsewhere.post("/v1/customers", json=body, headers=key)
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json()["id"] != first.json()["id"]
