"""write_keys (no AWS): rows whose items would share a key share a write key before they are built.

The importer orders a plan's rows (its write levels, the waits within a group) by write_keys,
computed from the records while planning; the items are built later, when the group is
written. So every two writes that touch one item must be told apart by their write_keys.
"""

from __future__ import annotations

from itertools import combinations

from chalicelib.imports.write.batches import item_keys
from chalicelib.store.import_writes import ImportRecordWriter, write_keys

NOW = "2026-11-30T00:00:00.000Z"
SITE = {"line1": "4 Quay St", "suburb": "Haymarket", "postcode": "2000"}


def customer(id_, name, version=None, **fields):
    record = {"id": id_, "name": name, "status": "active", "site_address": SITE, **fields}
    return record | ({"version": version, "created_at": NOW} if version else {})


def child(id_, customer_id, version=None, **fields):
    record = {"id": id_, "customer_id": customer_id, **fields}
    return record | ({"version": version, "created_at": NOW} if version else {})


# (entity, record, previous): creates, updates, and values freed by one write and taken by another.
WRITES = [
    ("customer", customer("c1", "Harbour Plumbing", customer_number="C1", import_id="H-1"), None),
    ("customer", customer("c2", "Quay Electrical", customer_number="C2"), None),
    # c3 takes the name c4 frees; c4 takes c3's old number; c5 takes c4's import ID
    (
        "customer",
        customer("c3", "Bay Gas", customer_number="C9"),
        customer("c3", "Old Bay", 2, customer_number="C3"),
    ),
    (
        "customer",
        customer("c4", "Old Bay Two", customer_number="C3"),
        customer("c4", "Bay Gas", 1, customer_number="C4", import_id="B-4"),
    ),
    ("customer", customer("c5", "Cove Air", import_id="B-4"), None),
    # the same customer written twice (a customer row, then a site row naming it)
    ("customer", customer("c1", "Harbour Plumbing", customer_number="C1", on_hold=True), None),
    (
        "customer",
        customer("s1", "12 Smith St", billing={"billing_customer_id": "c1"}),
        None,
    ),
    ("contact", child("k1", "c1", first_name="Ann", is_default=True), None),
    ("contact", child("k2", "c1", first_name="Bob"), None),
    # Ann demoted (the extra write of the row that makes Cat the default)
    (
        "contact",
        child("k1", "c1", first_name="Ann", is_default=False),
        child("k1", "c1", 1, first_name="Ann", is_default=True),
    ),
    ("contact", child("k3", "c1", first_name="Cat", is_default=True), None),
    # equipment: e2 takes the number e1 gives up, within c1; e3 uses the same number at s1
    (
        "equipment",
        child("e1", "c1", equipment_number="HW-2"),
        child("e1", "c1", 1, equipment_number="HW-1"),
    ),
    ("equipment", child("e2", "c1", equipment_number="HW-1"), None),
    ("equipment", child("e3", "s1", equipment_number="HW-1"), None),
]  # fmt: skip


def built(entity, record, previous) -> set:
    writer = ImportRecordWriter(client=object())
    items = getattr(writer, f"{entity}_writes")("t1", record, previous, now=NOW, by="importer")
    return set(item_keys(items))


def test_writes_that_share_an_item_share_a_write_key():
    shared = 0
    for first, second in combinations(WRITES, 2):
        if built(*first) & built(*second):
            shared += 1
            assert set(write_keys(first[0], "t1", *first[1:])) & set(
                write_keys(second[0], "t1", *second[1:])
            ), (first, second)
    # c1 twice, k1 twice; c3 and c4 (a name, a number), c4 and c5 (an import ID), e1 and e2
    assert shared == 5


def test_writes_that_share_nothing_are_not_ordered_by_their_write_keys():
    unordered = [
        (first, second)
        for first, second in combinations(WRITES, 2)
        if not built(*first) & built(*second)
        and set(write_keys(first[0], "t1", *first[1:]))
        & set(write_keys(second[0], "t1", *second[1:]))
    ]
    assert unordered == []
