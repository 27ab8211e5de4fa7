"""A name with an invisible character in it is the name people see, everywhere names are keys."""

import pytest

MARKS = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200f", "\u034f"]


@pytest.mark.parametrize("mark", MARKS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_customer_named_with_an_invisible_character_is_the_same_customer(api, mark):
    first = api.post("/v1/customers", {"name": "Zed Pty"})
    assert first.status == 201, first.json
    again = api.post("/v1/customers", {"name": f"Z{mark}ed Pty"})
    assert again.status == 409, again.json
    assert [c["name"] for c in api.get("/v1/customers").json["items"]] == ["Zed Pty"]


def test_stored_names_lose_invisible_characters(api):
    made = api.post(
        "/v1/customers", {"name": "\u202eAcme\u200b Gas\ufeff", "first_name": "J\u00ado"}
    )
    assert made.status == 201, made.json
    assert made.json["name"] == "Acme Gas" and made.json["first_name"] == "Jo"
    assert api.get("/v1/customers?q=acme").json["items"][0]["id"] == made.json["id"]


def test_lookup_names_are_keyed_and_stored_without_invisible_characters(api):
    made = api.post("/v1/lookups/customer-types", {"name": "Stra\u200bta"})
    assert made.status == 201 and made.json["name"] == "Strata"
    assert api.post("/v1/lookups/customer-types", {"name": "\u2060strata"}).status == 409


def test_user_emails_are_keyed_without_invisible_characters(api):
    made = api.post("/v1/users", {"name": "Ann\u200d", "email": "ann@\u200bacme.example"})
    assert made.status == 201, made.json
    assert made.json["email"] == "ann@acme.example" and made.json["name"] == "Ann"
    again = api.post("/v1/users", {"name": "Ann B", "email": "an\u00adn@acme.example"})
    assert again.status == 409, again.json


def test_mapping_names_are_keyed_without_invisible_characters(api):
    body = {"name": "ServiceM8", "headers": ["Company"], "mapping": {
        "columns": [{"source": "Company", "field": "company_name"}]}}  # fmt: skip
    assert api.post("/v1/mappings", body).status == 201
    assert api.post("/v1/mappings", {**body, "name": "Service\ufeffM8"}).status == 409
