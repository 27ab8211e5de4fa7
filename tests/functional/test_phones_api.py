"""The API accepts every possible phone number, as the importer does, and names impossible ones."""

from __future__ import annotations


def test_a_mobile_in_a_range_the_metadata_does_not_know_yet_is_accepted_and_found(api):
    reply = api.post(
        "/v1/customers",
        {"name": "Newrange Mobile", "phone": "0443 256 796", "mobile": "0443256797"},
    )
    assert reply.status == 201, reply.json
    assert (reply.json["phone"], reply.json["phone_e164"]) == ("0443 256 796", "+61443256796")
    assert reply.json["mobile_e164"] == "+61443256797"
    found = api.get("/v1/customers?q=0443256796").json["items"]
    assert [c["name"] for c in found] == ["Newrange Mobile"]


def test_a_phone_in_scientific_notation_is_refused_with_its_reason(api):
    reply = api.post("/v1/customers", {"name": "Sci Note", "phone": "6.14123E+10"})
    assert reply.status == 422
    assert reply.content_type == "application/problem+json"
    [error] = reply.json["errors"]
    assert error["field"] == "phone" and "scientific notation" in error["message"]
    assert api.get("/v1/customers").json["items"] == []
