"""Customers over HTTP: create, validate, unique values, billing and sites, search, ETags."""

from __future__ import annotations

import threading

from tests.problems import assert_problem, error_fields


def create(api, **fields):
    reply = api.post("/v1/customers", fields)
    assert reply.status == 201, reply.json
    return reply.json


def lookup(api, kind, name, **extra):
    reply = api.post(f"/v1/lookups/{kind}", {"name": name, **extra})
    assert reply.status == 201, reply.json
    return reply.json["id"]


def test_customer_is_numbered_named_and_phone_normalised(api):
    made = create(api, first_name=" John ", last_name="Smith", phone="0412 345 678")
    assert made["name"] == "John Smith"
    assert made["customer_number"] == "C000001"
    assert (made["phone"], made["phone_e164"]) == ("0412 345 678", "+61412345678")
    assert create(api, company_name="Smithfield Plumbing")["customer_number"] == "C000002"
    read = api.get(f"/v1/customers/{made['id']}")
    assert read.status == 200 and read.json["name"] == "John Smith"
    assert read.header("ETag") == '"1"'


def test_bad_fields_are_all_named_and_nothing_is_written(api):
    reply = api.post(
        "/v1/customers",
        {
            "name": "Bad Data Pty Ltd",
            "email": "not-an-email",
            "phone": "12",
            "customer_type_id": "nope",
            "assigned_user_id": "ghost",
            "site_address": {"postcode": "ABCDE", "state": "Narnia"},
        },
    )
    assert error_fields(assert_problem(reply, 422)) >= {
        "email",
        "phone",
        "customer_type_id",
        "assigned_user_id",
        "site_address.postcode",
        "site_address.state",
    }
    assert api.get("/v1/customers").json["items"] == []
    assert api.get("/v1/customers?q=bad").json["items"] == []


def test_a_customer_needs_some_name(api):
    reply = api.post("/v1/customers", {"email": "a@example.com"})
    assert_problem(reply, 422, field="name")


def test_references_must_be_active_lookups_and_users_of_the_account(api, staff):
    kind = lookup(api, "customer-types", "Residential")
    term = lookup(api, "payment-terms", "30 days", due_days=30, due_basis="invoice_date")
    api.post("/v1/users", {"name": "Ann Manager", "email": "ann@example.com"})
    user = api.get("/v1/users").json["items"][0]["id"]
    made = create(
        api, name="Refs Ltd", customer_type_id=kind, payment_term_id=term, assigned_user_id=user
    )
    assert made["customer_type_id"] == kind and made["assigned_user_id"] == user
    api.delete(f"/v1/lookups/customer-types/{kind}")
    reply = api.post("/v1/customers", {"name": "Later Ltd", "customer_type_id": kind})
    assert_problem(reply, 422, field="customer_type_id")
    # a record keeps a reference archived after it was chosen
    assert api.patch(f"/v1/customers/{made['id']}", {"notes": "ok"}).status == 200


def test_billing_address_mirrors_site_address_on_every_update(api):
    made = create(
        api,
        name="Mirror",
        site_address={"line1": "1 High St", "suburb": "Sydney", "state": "NSW", "postcode": "2000"},
        billing_same_as_site=True,
    )
    assert made["billing_address"] == made["site_address"]
    changed = api.patch(
        f"/v1/customers/{made['id']}",
        {
            "site_address": {
                "line1": "9 Low Rd",
                "suburb": "Perth",
                "state": "WA",
                "postcode": "6000",
            }
        },
    ).json
    assert changed["billing_address"]["line1"] == "9 Low Rd"
    assert changed["billing_address"] == changed["site_address"]


def test_names_are_unique_ignoring_case_and_spacing_and_a_rename_frees_the_old(api):
    made = create(api, name="Acme  Plumbing")
    reply = api.post("/v1/customers", {"name": "acme plumbing"})
    assert_problem(reply, 409, field="name")
    assert api.patch(f"/v1/customers/{made['id']}", {"name": "Acme Gas"}).status == 200
    assert api.post("/v1/customers", {"name": "ACME Plumbing"}).status == 201
    assert_problem(api.post("/v1/customers", {"name": "acme gas"}), 409)


def test_given_number_and_import_id_are_unique(api):
    create(api, name="One", customer_number="X-1", import_id="ext-1")
    again = api.post("/v1/customers", {"name": "Two", "customer_number": "x-1"})
    assert_problem(again, 409, field="customer_number")
    dup = api.post("/v1/customers", {"name": "Three", "import_id": "ext-1"})
    assert_problem(dup, 409, field="import_id")


def test_generated_numbers_skip_one_taken_by_hand(api):
    create(api, name="Manual", customer_number="C000001")
    assert create(api, name="Auto")["customer_number"] == "C000002"


def test_two_concurrent_creates_of_one_name_give_one_customer(api, monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    from chalicelib.domain.errors import Conflict
    from chalicelib.services.customers import create_customer

    # DynamoDB runs each transaction atomically; moto's in-process backend does not
    # (it snapshots and restores whole tables without a lock), so give it that lock.
    real, lock = DynamoDBBackend.transact_write_items, threading.Lock()

    def atomic(self, *args, **kwargs):
        with lock:
            return real(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", atomic)

    barrier, outcomes = threading.Barrier(2), []

    def attempt():
        barrier.wait()
        try:
            create_customer(api.tenant, {"name": "Race Electrical"}, None)
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "created"]
    assert len(api.get("/v1/customers").json["items"]) == 1


def test_if_match_protects_against_stale_writes(api):
    made = create(api, name="Versioned")
    path = f"/v1/customers/{made['id']}"
    ok = api.patch(path, {"notes": "first"}, headers={"If-Match": '"1"'})
    assert ok.status == 200 and ok.header("ETag") == '"2"'
    assert_problem(api.patch(path, {"notes": "late"}, headers={"If-Match": '"1"'}), 412)
    assert_problem(api.delete(path, headers={"If-Match": '"1"'}), 412)


def test_delete_archives_and_archived_are_listed_on_request(api):
    made = create(api, name="Gone Soon")
    archived = api.delete(f"/v1/customers/{made['id']}")
    assert archived.status == 200 and archived.json["status"] == "archived"
    assert api.get("/v1/customers").json["items"] == []
    assert [c["name"] for c in api.get("/v1/customers?status=archived").json["items"]] == [
        "Gone Soon"
    ]
    assert api.get("/v1/customers?q=gone").json["items"] == []
    assert len(api.get("/v1/customers?q=gone&status=archived").json["items"]) == 1


def test_sites_are_the_customers_billed_to_one(api):
    agent = create(api, name="Ray White Property")
    site = create(
        api,
        name="12 Beach Rd",
        billing={
            "billing_customer_id": agent["id"],
            "care_of": "Jo",
            "invoice_options": {"email_invoices": True},
        },
    )
    assert site["billing"]["invoice_options"] == {
        "send_to_billing_customer": False,
        "include_site_details": False,
        "email_invoices": True,
    }
    sites = api.get(f"/v1/customers/{agent['id']}/sites").json["items"]
    assert [s["name"] for s in sites] == ["12 Beach Rd"]
    filtered = api.get(f"/v1/customers?billing_customer_id={agent['id']}").json["items"]
    assert [s["id"] for s in filtered] == [site["id"]]


def test_a_customer_cannot_bill_to_itself_or_loop(api):
    a = create(api, name="A")
    b = create(api, name="B", billing={"billing_customer_id": a["id"]})
    itself = api.patch(f"/v1/customers/{a['id']}", {"billing": {"billing_customer_id": a["id"]}})
    assert_problem(itself, 422, field="billing.billing_customer_id")
    loop = api.patch(f"/v1/customers/{a['id']}", {"billing": {"billing_customer_id": b["id"]}})
    assert "loop" in assert_problem(loop, 422)["errors"][0]["message"]
    unknown = api.post("/v1/customers", {"name": "C", "billing": {"billing_customer_id": "nope"}})
    assert_problem(unknown, 422, field="billing.billing_customer_id")


def test_archiving_a_billing_customer_with_active_sites_is_refused(api):
    agent = create(api, name="Agent")
    site = create(api, name="Site", billing={"billing_customer_id": agent["id"]})
    refused = api.delete(f"/v1/customers/{agent['id']}")
    assert "Site" in assert_problem(refused, 409)["detail"]
    api.delete(f"/v1/customers/{site['id']}")
    assert api.delete(f"/v1/customers/{agent['id']}").status == 200


def test_search_finds_by_token_prefix_across_fields(api):
    john = create(api, first_name="John", last_name="Smith", email="jsmith@mail.com")
    plumbing = create(api, company_name="Smithfield Plumbing", mobile="0498 765 432")
    create(api, name="Jones Electrical")
    found = {c["id"] for c in api.get("/v1/customers?q=smi").json["items"]}
    assert found == {john["id"], plumbing["id"]}
    assert [c["id"] for c in api.get("/v1/customers?q=john smi").json["items"]] == [john["id"]]
    assert [c["id"] for c in api.get("/v1/customers?q=0498 765").json["items"]] == [plumbing["id"]]
    assert [c["id"] for c in api.get("/v1/customers?q=jsmith@mail").json["items"]] == [john["id"]]
    assert [
        c["id"] for c in api.get(f"/v1/customers?q={plumbing['customer_number']}").json["items"]
    ] == [plumbing["id"]]


def test_search_follows_renames_and_pages(api):
    made = create(api, name="Old Name")
    api.patch(f"/v1/customers/{made['id']}", {"name": "Fresh Name"})
    assert api.get("/v1/customers?q=old").json["items"] == []
    assert len(api.get("/v1/customers?q=fresh").json["items"]) == 1
    for n in range(5):
        create(api, name=f"Page Test {n}")
    first = api.get("/v1/customers?q=page&limit=3").json
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = api.get(f"/v1/customers?q=page&limit=3&cursor={first['next_cursor']}").json
    names = [c["name"] for c in first["items"] + rest["items"]]
    assert sorted(names) == [f"Page Test {n}" for n in range(5)]


def test_list_is_sorted_by_name_filtered_and_paged(api):
    kind = lookup(api, "customer-types", "Commercial")
    for name in ("charlie", "Alpha", "bravo"):
        create(api, name=name, customer_type_id=kind if name != "bravo" else None)
    first = api.get("/v1/customers?limit=2").json
    assert [c["name"] for c in first["items"]] == ["Alpha", "bravo"]
    rest = api.get(f"/v1/customers?limit=2&cursor={first['next_cursor']}").json
    assert [c["name"] for c in rest["items"]] == ["charlie"]
    typed = api.get(f"/v1/customers?customer_type_id={kind}").json["items"]
    assert [c["name"] for c in typed] == ["Alpha", "charlie"]


def test_custom_field_values_are_validated_by_their_definitions(api, staff):
    assert_problem(staff.post("/v1/custom-fields", {"key": "x", "label": "X", "type": "text"}), 403)
    made = api.post(
        "/v1/custom-fields",
        {
            "key": "warranty_provider",
            "label": "Warranty",
            "type": "choice",
            "options": ["Rheem", "Dux"],
        },
    )
    assert made.status == 201
    assert (
        api.post(
            "/v1/custom-fields", {"key": "warranty_provider", "label": "W", "type": "text"}
        ).status
        == 409
    )
    bad = api.post(
        "/v1/customers", {"name": "CF", "custom_fields": {"warranty_provider": "Bosch", "nope": 1}}
    )
    assert_problem(bad, 422, fields={"custom_fields.warranty_provider", "custom_fields.nope"})
    good = create(api, name="CF", custom_fields={"warranty_provider": "rheem"})
    assert good["custom_fields"] == {"warranty_provider": "Rheem"}
    required = api.patch(
        f"/v1/custom-fields/{made.json['id']}", {"required": True}, headers={"If-Match": '"1"'}
    )
    assert required.status == 200 and required.json["required"] is True
    assert_problem(api.post("/v1/customers", {"name": "No CF"}), 422)
    retired = api.delete(f"/v1/custom-fields/{made.json['id']}")
    assert retired.status == 200 and retired.json["active"] is False
    assert [f["key"] for f in api.get("/v1/custom-fields").json["items"]] == ["warranty_provider"]


def test_another_tenants_customers_and_fields_are_not_found(api):
    made = create(api, name="Private", billing={})
    agent = create(api, name="Private Agent")
    field = api.post("/v1/custom-fields", {"key": "k", "label": "K", "type": "text"}).json
    other = api.as_(tenant="other-tenant")
    assert_problem(other.get(f"/v1/customers/{made['id']}"), 404)
    assert_problem(other.patch(f"/v1/customers/{made['id']}", {"notes": "x"}), 404)
    assert_problem(other.delete(f"/v1/customers/{made['id']}"), 404)
    assert_problem(other.get(f"/v1/customers/{agent['id']}/sites"), 404)
    assert_problem(other.patch(f"/v1/custom-fields/{field['id']}", {"label": "Y"}), 404)
    assert_problem(other.delete(f"/v1/custom-fields/{field['id']}"), 404)
    assert other.get("/v1/customers?q=private").json["items"] == []
    assert other.get("/v1/customers").json["items"] == []
    cross = other.post(
        "/v1/customers", {"name": "Mine", "billing": {"billing_customer_id": agent["id"]}}
    )
    assert_problem(cross, 422)


def test_openapi_documents_every_customer_route(api):
    doc = api.get("/v1/openapi.json", token=False).json
    for path in (
        "/v1/customers",
        "/v1/customers/{customer_id}",
        "/v1/customers/{customer_id}/sites",
        "/v1/customers/{customer_id}/contacts/{contact_id}",
        "/v1/customers/{customer_id}/equipment/{equipment_id}",
        "/v1/custom-fields/{field_id}",
    ):
        assert path in doc["paths"], path
    phone = doc["components"]["schemas"]["Customer"]["properties"]["phone_e164"]
    assert "E.164" in phone["description"]
    assert (
        "204"
        in doc["paths"]["/v1/customers/{customer_id}/contacts/{contact_id}"]["delete"]["responses"]
    )
