"""HTTP as clients expect: Location, If-None-Match, conflicting ids, request ids, export lists."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlparse

import pytest

from tests.functional.test_exports import export_now
from tests.problems import assert_problem


def test_every_create_answers_with_the_location_of_what_it_made(api):
    customer = api.post("/v1/customers", {"name": "Harbourside Realty"})
    contact = api.post(
        f"/v1/customers/{customer.json['id']}/contacts", {"first_name": "Jo", "last_name": "Bo"}
    )
    lookup = api.post("/v1/lookups/lead-sources", {"name": "Letterbox drop"})
    export = api.post("/v1/exports", {})

    assert customer.header("Location") == f"/v1/customers/{customer.json['id']}"
    assert contact.header("Location") == (
        f"/v1/customers/{customer.json['id']}/contacts/{contact.json['id']}"
    )
    assert lookup.header("Location") == f"/v1/lookups/lead-sources/{lookup.json['id']}"
    assert export.status == 202 and export.header("Location") == f"/v1/exports/{export.json['id']}"
    for reply in (customer, contact, lookup, export):
        assert api.get(reply.header("Location")).json["id"] == reply.json["id"]


def test_a_replayed_create_repeats_its_location(api):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post("/v1/customers", {"name": "Once Only"}, headers=key)
    again = api.post("/v1/customers", {"name": "Once Only"}, headers=key)

    assert again.header("Idempotent-Replayed") == "true"
    assert again.header("Location") == first.header("Location")


def test_a_failed_create_has_no_location(api):
    api.post("/v1/customers", {"name": "Taken"})
    assert api.post("/v1/customers", {"name": "taken"}).header("Location") is None


def test_a_get_with_the_current_etag_is_304_without_a_body(api):
    created = api.post("/v1/customers", {"name": "Etag Pty"})
    path, etag = created.header("Location"), created.header("ETag")

    unchanged = api.get(path, headers={"If-None-Match": etag})
    weak_in_a_list = api.get(path, headers={"If-None-Match": f'"99", W/{etag}'})
    anything = api.get(path, headers={"If-None-Match": "*"})

    for reply in (unchanged, weak_in_a_list, anything):
        assert reply.status == 304 and reply.body == b"" and reply.header("ETag") == etag


def test_a_get_after_a_change_is_200_with_the_new_etag(api):
    created = api.post("/v1/lookups/customer-types", {"name": "Strata"})
    path, etag = created.header("Location"), created.header("ETag")
    api.patch(path, {"name": "Strata manager"}, headers={"If-Match": etag})

    reply = api.get(path, headers={"If-None-Match": etag})

    assert reply.status == 200 and reply.json["name"] == "Strata manager"
    assert reply.header("ETag") == '"2"'


def test_if_none_match_does_not_hide_a_404(api):
    assert_problem(api.get("/v1/customers/nope", headers={"If-None-Match": "*"}), 404)


def test_a_duplicate_customer_name_names_the_customer_that_holds_it(api):
    first = api.post("/v1/customers", {"name": "Zed Pty"}).json

    body = assert_problem(api.post("/v1/customers", {"name": "ZED  pty"}), 409)

    assert body["conflicting_id"] == first["id"]


@pytest.mark.parametrize("kind", ["customer-types", "equipment-types", "price-levels"])
def test_a_duplicate_lookup_name_names_the_item_that_holds_it(api, kind):
    first = api.post(f"/v1/lookups/{kind}", {"name": "Unusual name"}).json

    body = assert_problem(api.post(f"/v1/lookups/{kind}", {"name": "unusual NAME"}), 409)

    assert body["conflicting_id"] == first["id"]


def test_a_rename_onto_a_taken_name_names_its_holder(api):
    kept = api.post("/v1/customers", {"name": "Keeper"}).json
    other = api.post("/v1/customers", {"name": "Other"}).json

    body = assert_problem(api.patch(f"/v1/customers/{other['id']}", {"name": "keeper"}), 409)

    assert body["conflicting_id"] == kept["id"]


def test_every_answer_carries_api_gateways_request_id(api):
    replies = [
        api.get("/v1/health", token=False),
        api.get("/v1/customers"),
        api.get("/v1/customers/unknown"),
        api.post("/v1/customers", raw=b"{not json"),
        api.get("/v1/customers", token=False),
    ]
    ids = [reply.header("X-Request-Id") for reply in replies]
    for request_id in ids[:4]:
        assert str(uuid.UUID(request_id)) == request_id
    assert len(set(ids[:4])) == 4 and "unknown" not in ids


def test_a_500_quotes_the_same_request_id_as_its_header(api, monkeypatch):
    from chalicelib.services import customers

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(customers, "get_customer", broken)
    reply = api.get("/v1/customers/any")

    body = assert_problem(reply, 500)
    assert reply.header("X-Request-Id") in body["detail"]


def test_the_request_id_is_api_gateways_own():
    from chalicelib.api.http import request_id

    class Request:
        context = {"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}

    assert request_id(Request()) == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def test_exports_are_listed_newest_first_in_pages_and_fenced_by_tenant(api, aws):
    done = export_now(api, aws)
    second = api.post("/v1/exports", {"targets": ["contacts"]}).json
    third = api.post("/v1/exports", {"targets": ["equipment"]}).json

    first_page = api.get("/v1/exports?limit=2").json
    rest = api.get(f"/v1/exports?limit=2&cursor={first_page['next_cursor']}").json

    assert [e["id"] for e in first_page["items"]] == [third["id"], second["id"]]
    assert [e["id"] for e in rest["items"]] == [done["id"]] and rest["next_cursor"] is None
    listed = rest["items"][0]
    assert listed["status"] == "succeeded" and listed["url"]
    disposition = parse_qs(urlparse(listed["url"]).query)["response-content-disposition"][0]
    assert disposition.startswith('attachment; filename="sitebook-export.xlsx"; filename*=')
    assert api.as_(tenant="someone-else").get("/v1/exports").json["items"] == []
    assert_problem(api.get("/v1/exports?limit=0"), 422, field="limit")
