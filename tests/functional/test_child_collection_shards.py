"""A tenant's contacts and equipment spread over shards read as one collection, in order."""

from __future__ import annotations

import pytest

from chalicelib.store.children import COLLECTION_SHARDS
from chalicelib.store.search_entries import shard_of
from tests.functional.test_contacts_equipment import customer, lookup


@pytest.fixture
def register(api) -> dict[str, list[dict]]:
    """Three customers with four contacts and three pieces of equipment each, over HTTP."""
    kind = lookup(api, "equipment-types", "Boiler")
    contacts, equipment = [], []
    for name in ("Harbour Cafe", "Bay Bakery", "Cove Dental"):
        cid = customer(api, name)
        for first in ("Ann", "Bob", "Cy", "Di"):
            made = api.post(f"/v1/customers/{cid}/contacts", {"first_name": first})
            assert made.status == 201, made.json
            contacts.append(made.json)
        for n in range(3):
            unit = {"name": f"B{n}", "equipment_number": f"B-{n}", "equipment_type_id": kind}
            made = api.post(f"/v1/customers/{cid}/equipment", unit)
            assert made.status == 201, made.json
            equipment.append(made.json)
    shards = {shard_of(c["id"], COLLECTION_SHARDS) for c in contacts}
    assert len(shards) > 2  # the merge is exercised
    return {"contacts": contacts, "equipment": equipment}


def by_customer(children: list[dict]) -> list[str]:
    """The collection's order: by customer id, then the child's own id."""
    return [c["id"] for c in sorted(children, key=lambda c: (c["customer_id"], c["id"]))]


def test_the_collections_read_every_shard_merged_by_customer(api, register):
    from chalicelib.store.children import iter_collection
    from chalicelib.store.contacts import ContactItem
    from chalicelib.store.equipment import EquipmentItem

    contacts = list(iter_collection(ContactItem, api.tenant))
    equipment = list(iter_collection(EquipmentItem, api.tenant))

    assert [c["id"] for c in contacts] == by_customer(register["contacts"])
    assert [e["id"] for e in equipment] == by_customer(register["equipment"])


def test_the_importer_loads_many_customers_children_from_the_shards(api, register):
    from chalicelib.store.import_writes import ImportRecordWriter

    writer = ImportRecordWriter()
    owners = {c["customer_id"] for c in register["contacts"]}
    wanted = sorted(owners)[:2]
    per_customer = writer.load_children(api.tenant, wanted)
    writer.PER_CUSTOMER_LIMIT = 0  # as for more than 100 customers: the collections

    contacts, equipment = writer.load_children(api.tenant, wanted)

    assert (contacts, equipment) == per_customer
    assert {c["customer_id"] for c in contacts.values()} == set(wanted)
    assert len(contacts) == 8 and len(equipment) == 6


def test_reindexing_moves_children_stored_before_the_shards_into_them(api, register):
    """Children written under the unsharded collection key are not read until re-indexed."""
    from chalicelib.store.base import bind
    from chalicelib.store.children import collection_pk, iter_collection
    from chalicelib.store.contacts import ContactItem, get_contact
    from chalicelib.store.equipment import EquipmentItem, get_equipment
    from chalicelib.store.search_reindex import reindex_search

    bind()
    old = {"contacts": register["contacts"][::2], "equipment": register["equipment"][::3]}
    for contact in old["contacts"]:  # test set-up only: the key the unsharded layout wrote
        item = get_contact(api.tenant, contact["customer_id"], contact["id"])
        item.update(actions=[ContactItem.gsi1pk.set(collection_pk(api.tenant, "CONTACTS"))])
    for unit in old["equipment"]:
        item = get_equipment(api.tenant, unit["customer_id"], unit["id"])
        item.update(actions=[EquipmentItem.gsi1pk.set(collection_pk(api.tenant, "EQUIPMENT"))])
    assert len(list(iter_collection(ContactItem, api.tenant))) == 6

    done = reindex_search(api.tenant)

    assert done["contacts re-keyed"] == 6 and done["equipment re-keyed"] == 3
    contacts = list(iter_collection(ContactItem, api.tenant))
    assert [c["id"] for c in contacts] == by_customer(register["contacts"])
    equipment = list(iter_collection(EquipmentItem, api.tenant))
    assert [e["id"] for e in equipment] == by_customer(register["equipment"])
    again = reindex_search(api.tenant)
    assert again["contacts re-keyed"] == again["equipment re-keyed"] == 0
    first = old["contacts"][0]
    read = api.get(f"/v1/customers/{first['customer_id']}/contacts/{first['id']}").json
    assert read["version"] == first["version"]  # index keys only: the record is unchanged


def test_a_child_saved_meanwhile_is_left_to_its_own_write(api, register):
    """The re-index's move is conditional on the version it read: a save that came between
    wrote the sharded keys itself, and is not overwritten."""
    from chalicelib.store.base import bind
    from chalicelib.store.children import collection_keys, collection_pk
    from chalicelib.store.contacts import ContactItem, get_contact
    from chalicelib.store.search_reindex import _rekey_child

    bind()
    contact = register["contacts"][0]
    item = get_contact(api.tenant, contact["customer_id"], contact["id"])
    item.update(actions=[ContactItem.gsi1pk.set(collection_pk(api.tenant, "CONTACTS"))])
    base = f"/v1/customers/{contact['customer_id']}/contacts/{contact['id']}"
    assert api.patch(base, {"notes": "saved meanwhile"}).status == 200

    assert _rekey_child(api.tenant, item) == 0

    stored = get_contact(api.tenant, contact["customer_id"], contact["id"])
    keys = collection_keys(api.tenant, "CONTACTS", contact["customer_id"], contact["id"])
    assert (stored.gsi1pk, stored.gsi1sk) == keys and stored.notes == "saved meanwhile"
