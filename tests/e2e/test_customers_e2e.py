"""Office staff over HTTP: a billing customer, sites, contacts, equipment; search; isolation."""

from tests.e2e.conftest import Http, make_token
from tests.problems import assert_problem


def add_new(admin, kind: str, name: str) -> str:
    """A dropdown's "+Add New": the new item's id, or the existing one's from the 409."""
    reply = admin.post(f"/v1/lookups/{kind}", json={"name": name})
    if reply.status_code == 409:
        return assert_problem(reply, 409)["conflicting_id"]
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def test_billing_customer_sites_contacts_equipment_search_and_isolation(stack, admin, tenant):
    # A new tenant starts with the default lookups: both of these exist already.
    kind = add_new(admin, "customer-types", "Property manager")
    hws = add_new(admin, "equipment-types", "Hot water system")
    assert admin.get(f"/v1/lookups/equipment-types/{hws}").json()["name"] == "Hot water system"
    agent = admin.post(
        "/v1/customers",
        json={
            "company_name": "Harbourside Realty",
            "email": "accounts@harbourside.example",
            "phone": "02 9123 4567",
            "customer_type_id": kind,
        },
    )
    assert agent.status_code == 201, agent.text
    agent = agent.json()
    assert agent["name"] == "Harbourside Realty" and agent["phone_e164"] == "+61291234567"
    sites = []
    for unit in ("Unit 1, 5 Bay St", "Unit 2, 5 Bay St"):
        reply = admin.post(
            "/v1/customers",
            json={
                "name": unit,
                "first_name": "Tenant",
                "last_name": unit.split(",")[0],
                "site_address": {
                    "line1": unit,
                    "suburb": "Manly",
                    "state": "NSW",
                    "postcode": "2095",
                },
                "billing": {
                    "billing_customer_id": agent["id"],
                    "care_of": "Property manager",
                    "invoice_options": {"send_to_billing_customer": True},
                },
            },
        )
        assert reply.status_code == 201, reply.text
        sites.append(reply.json())
    listed = admin.get(f"/v1/customers/{agent['id']}/sites").json()["items"]
    assert sorted(s["name"] for s in listed) == ["Unit 1, 5 Bay St", "Unit 2, 5 Bay St"]

    contact = admin.post(
        f"/v1/customers/{sites[0]['id']}/contacts",
        json={
            "first_name": "Mia",
            "last_name": "Ng",
            "mobile": "0412 345 678",
            "email": "mia@example.com",
        },
    )
    assert contact.status_code == 201 and contact.json()["is_default"] is True
    equipment = admin.post(
        f"/v1/customers/{sites[0]['id']}/equipment",
        json={
            "equipment_number": "HWS-1",
            "name": "Rheem 315L",
            "equipment_type_id": hws,
            "installation_date": "2021-03-04",
            "warranty_expiry": "2031-03-04",
        },
    )
    assert equipment.status_code == 201, equipment.text
    assert [
        e["equipment_number"]
        for e in admin.get(f"/v1/customers/{sites[0]['id']}/equipment").json()["items"]
    ] == ["HWS-1"]

    found = {c["name"] for c in admin.get("/v1/customers", params={"q": "harb"}).json()["items"]}
    assert found == {"Harbourside Realty"}
    by_phone = admin.get("/v1/customers", params={"q": "9123"}).json()["items"]
    assert [c["id"] for c in by_phone] == [agent["id"]]
    by_type = admin.get("/v1/customers", params={"customer_type_id": kind}).json()["items"]
    assert [c["id"] for c in by_type] == [agent["id"]]
    billed = admin.get("/v1/customers", params={"billing_customer_id": agent["id"]}).json()["items"]
    assert len(billed) == 2

    refused = admin.delete(f"/v1/customers/{agent['id']}")
    assert_problem(refused, 409)

    other = Http(stack.api_url, make_token(f"{tenant}-other"))
    assert other.get("/v1/customers", params={"q": "harb"}).json()["items"] == []
    for path in (
        f"/v1/customers/{agent['id']}",
        f"/v1/customers/{agent['id']}/sites",
        f"/v1/customers/{sites[0]['id']}/contacts/{contact.json()['id']}",
        f"/v1/customers/{sites[0]['id']}/equipment/{equipment.json()['id']}",
    ):
        reply = other.get(path)
        assert_problem(reply, 404)
    assert other.post("/v1/customers", json={"name": "Harbourside Realty"}).status_code == 201
