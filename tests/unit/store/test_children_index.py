"""The tenant-wide index keys of contacts and equipment, as items serialize them (no AWS)."""

from __future__ import annotations

import pytest

from chalicelib.store.children import COLLECTION_SHARDS
from chalicelib.store.contacts import ContactItem
from chalicelib.store.equipment import EquipmentItem
from chalicelib.store.import_writes import ImportRecordWriter

STAMPS = {"version": 1, "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "x"}


def test_a_child_is_indexed_under_its_tenant_and_kind_sorted_by_customer():
    contact = ContactItem.new("t1", "c9", "k1", first_name="Pat", **STAMPS).serialize()
    unit = EquipmentItem.new("t1", "c9", "e1", equipment_type_id="hw", **STAMPS).serialize()

    assert contact["gsi1pk"]["S"].rsplit("#", 1)[0] == "t1#CONTACTS"
    assert unit["gsi1pk"]["S"].rsplit("#", 1)[0] == "t1#EQUIPMENT"
    assert (contact["gsi1sk"], unit["gsi1sk"]) == ({"S": "c9#k1"}, {"S": "c9#e1"})
    assert (contact["pk"], contact["sk"]) == ({"S": "t1#CUSTOMER#c9"}, {"S": "CONTACT#k1"})


def test_a_childs_shard_comes_from_its_own_id_and_never_moves():
    """One customer's many children spread over every shard; a child keeps its shard."""

    def shard(child_id: str, customer_id: str = "c9", **changes) -> str:
        item = ContactItem.new("t1", customer_id, child_id, **STAMPS | changes).serialize()
        return item["gsi1pk"]["S"].rsplit("#", 1)[1]

    shards = {shard(f"k{n}") for n in range(200)}

    assert shards == {str(n) for n in range(COLLECTION_SHARDS)}
    assert shard("k1") == shard("k1", version=7, first_name="Renamed")


def test_the_importer_writes_the_same_index_keys_as_the_api():
    writer = ImportRecordWriter(client=object())
    record = {"id": "k1", "customer_id": "c9", "first_name": "Pat"}

    put, entry = writer.contact_writes("t1", record, None, now="2026-01-01T00:00:00.000Z", by="me")

    api = ContactItem.new("t1", "c9", "k1", first_name="Pat", **STAMPS).serialize()
    item = put["Put"]["Item"]
    assert (item["gsi1pk"], item["gsi1sk"]) == (api["gsi1pk"], api["gsi1sk"])
    assert item["entity"] == api["entity"] == {"S": "contact"}
    # and the contact's search entry, pointing to its customer
    assert entry["Put"]["Item"]["sk"] == {"S": "pat#c9#k1"}


def test_a_child_moved_out_of_its_customers_partition_is_refused():
    item = ContactItem.new("t1", "c9", "k1", **STAMPS)
    item.customer_id = "c8"
    with pytest.raises(ValueError):
        item.serialize()
