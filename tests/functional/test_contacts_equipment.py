"""Contacts and equipment of a customer over HTTP: defaults, unique numbers, dates, isolation."""

from __future__ import annotations

from tests.problems import assert_problem


def customer(api, name="Harbour Cafe"):
    reply = api.post("/v1/customers", {"name": name})
    assert reply.status == 201, reply.json
    return reply.json["id"]


def lookup(api, kind, name):
    return api.post(f"/v1/lookups/{kind}", {"name": name}).json["id"]


def test_first_contact_is_default_and_a_new_default_clears_the_old(api):
    cid = customer(api)
    base = f"/v1/customers/{cid}/contacts"
    first = api.post(base, {"first_name": "Ann", "phone": "02 9876 5432"}).json
    assert first["is_default"] is True and first["phone_e164"] == "+61298765432"
    second = api.post(base, {"first_name": "Bob", "is_default": True})
    assert second.status == 201 and second.json["is_default"] is True
    third = api.post(base, {"first_name": "Cy"}).json
    assert third["is_default"] is False
    moved = api.patch(f"{base}/{third['id']}", {"is_default": True}, headers={"If-Match": '"1"'})
    assert moved.status == 200
    defaults = [c["first_name"] for c in api.get(base).json["items"] if c["is_default"]]
    assert defaults == ["Cy"]


def test_the_default_cannot_be_switched_off_only_moved(api):
    cid = customer(api)
    base = f"/v1/customers/{cid}/contacts"
    ann = api.post(base, {"first_name": "Ann"}).json
    bob = api.post(base, {"first_name": "Bob"}).json
    for says in (False, None):
        refused = api.patch(f"{base}/{ann['id']}", {"is_default": says})
        assert_problem(refused, 422, field="is_default")
    kept = api.patch(f"{base}/{bob['id']}", {"is_default": None, "notes": "back door"})
    assert kept.status == 200 and kept.json["is_default"] is False
    assert [c["first_name"] for c in api.get(base).json["items"] if c["is_default"]] == ["Ann"]


def test_deleting_the_default_contact_passes_the_default_on(api):
    cid = customer(api)
    base = f"/v1/customers/{cid}/contacts"
    ann = api.post(base, {"first_name": "Ann"}).json
    api.post(base, {"first_name": "Bob"})
    assert api.delete(f"{base}/{ann['id']}").status == 204
    assert_problem(api.get(f"{base}/{ann['id']}"), 404)
    assert [c["first_name"] for c in api.get(base).json["items"] if c["is_default"]] == ["Bob"]


def test_contact_fields_are_validated(api):
    cid = customer(api)
    role = lookup(api, "contact-roles", "Tenant")
    bad = api.post(
        f"/v1/customers/{cid}/contacts",
        {"email": "nope", "phone": "123", "role_id": "ghost"},
    )
    assert_problem(bad, 422, fields={"email", "phone", "role_id", "first_name"})
    good = api.post(f"/v1/customers/{cid}/contacts", {"last_name": "Lee", "role_id": role})
    assert good.status == 201 and good.json["role_id"] == role
    stale = api.patch(
        f"/v1/customers/{cid}/contacts/{good.json['id']}",
        {"notes": "x"},
        headers={"If-Match": '"9"'},
    )
    assert_problem(stale, 412)


def test_equipment_needs_a_type_and_reads_dates(api):
    cid = customer(api)
    kind = lookup(api, "equipment-types", "Hot water system")
    base = f"/v1/customers/{cid}/equipment"
    missing = api.post(base, {"name": "HWS", "installation_date": "31/13/2024"})
    assert_problem(missing, 422, fields={"equipment_type_id", "installation_date"})
    made = api.post(
        base,
        {
            "equipment_type_id": kind,
            "equipment_number": "EQ-1",
            "installation_date": "05/03/2024",
            "warranty_expiry": "2029-03-05",
        },
    )
    assert made.status == 201, made.json
    assert made.json["installation_date"] == "2024-03-05"
    assert api.get(base).json["items"][0]["id"] == made.json["id"]


def test_equipment_numbers_are_unique_within_a_customer_only(api):
    kind = lookup(api, "equipment-types", "Split system")
    one, two = customer(api, "One"), customer(api, "Two")
    body = {"equipment_type_id": kind, "equipment_number": "AC-1"}
    first = api.post(f"/v1/customers/{one}/equipment", body).json
    again = api.post(f"/v1/customers/{one}/equipment", {**body, "equipment_number": "ac-1"})
    assert_problem(again, 409, field="equipment_number")
    assert api.post(f"/v1/customers/{two}/equipment", body).status == 201
    path = f"/v1/customers/{one}/equipment/{first['id']}"
    assert api.delete(path, headers={"If-Match": '"1"'}).status == 204
    assert api.post(f"/v1/customers/{one}/equipment", body).status == 201


def test_another_tenants_contacts_and_equipment_are_not_found(api):
    cid = customer(api)
    kind = lookup(api, "equipment-types", "Boiler")
    contact = api.post(f"/v1/customers/{cid}/contacts", {"first_name": "Ann"}).json
    item = api.post(f"/v1/customers/{cid}/equipment", {"equipment_type_id": kind}).json
    other = api.as_(tenant="someone-else")
    families = (
        ("contacts", contact["id"], {"first_name": "X"}),
        ("equipment", item["id"], {"equipment_type_id": kind}),
    )
    for family, child, body in families:
        base = f"/v1/customers/{cid}/{family}"
        assert_problem(other.get(base), 404)
        assert_problem(other.post(base, body), 404)
        assert_problem(other.get(f"{base}/{child}"), 404)
        assert_problem(other.patch(f"{base}/{child}", {"notes": "x"}), 404)
        assert_problem(other.delete(f"{base}/{child}"), 404)
    assert api.get(f"/v1/customers/{cid}/contacts/{contact['id']}").status == 200


def test_children_of_an_unknown_customer_are_not_found(api):
    assert_problem(api.post("/v1/customers/nope/contacts", {"first_name": "Ann"}), 404)
    assert_problem(api.get("/v1/customers/nope/equipment"), 404)


def test_every_write_keeps_contacts_and_equipment_on_the_tenant_wide_index(api):
    from chalicelib.store.children import iter_collection
    from chalicelib.store.contacts import ContactItem
    from chalicelib.store.equipment import EquipmentItem

    cid = customer(api)
    base = f"/v1/customers/{cid}/contacts"
    ann = api.post(base, {"first_name": "Ann"}).json
    bob = api.post(base, {"first_name": "Bob", "is_default": True}).json  # Ann is demoted
    api.patch(f"{base}/{bob['id']}", {"last_name": "Brown"})
    cy = api.post(base, {"first_name": "Cy"}).json
    assert api.delete(f"{base}/{cy['id']}").status == 204
    kind = lookup(api, "equipment-types", "Boiler")
    unit = api.post(f"/v1/customers/{cid}/equipment", {"name": "B1", "equipment_type_id": kind})
    other = api.as_(tenant=f"{api.tenant}-other")
    other.post(f"/v1/customers/{customer(other)}/contacts", {"first_name": "Zed"})

    indexed = {c["id"]: c for c in iter_collection(ContactItem, api.tenant)}

    assert set(indexed) == {ann["id"], bob["id"]}
    assert indexed[ann["id"]]["is_default"] is False
    assert indexed[bob["id"]]["last_name"] == "Brown" and indexed[bob["id"]]["version"] == 2
    equipment = list(iter_collection(EquipmentItem, api.tenant))
    assert [e["id"] for e in equipment] == [unit.json["id"]]
