"""The importer's view of the customer store: bulk loads, and a row's records as one transaction.

The items and conditions are the ones the API writes (customers.customer_ops,
contacts.contact_item, equipment.equipment_item, the same uniqueness claims and search entries,
all built as DynamoDB JSON in chalicelib/store/item_json.py's terms): a record is written only at
the version the plan read (or, new, only if absent), a claim taken only if free or already its
own, so an import never overwrites a change it did not see (docs/decisions/import-writes.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.store.contacts import PREFIX as CONTACT_PREFIX
from chalicelib.store.contacts import ContactItem, contact_item
from chalicelib.store.customers import (
    customer_claim_ops,
    customer_ops,
    customer_pk,
    load_customer_index,
    release_customer_numbers,
    reserve_customer_number_block,
)
from chalicelib.store.equipment import PREFIX as EQUIPMENT_PREFIX
from chalicelib.store.equipment import EquipmentItem, equipment_item, number_scope
from chalicelib.store.item_json import Item, Write, absent, at_version, free_or_owned_by
from chalicelib.store.records import claim_ops, is_claim
from chalicelib.store.search_entries import contact_entry_ops

Record = dict[str, Any]


def transact_item(write: Write) -> dict[str, Any]:
    """``write`` as one entry of TransactWriteItems, without TableName (a stored plan does not
    name the table; it is added when the row is written).

    A claim is put or deleted only while it is free or its owner's (the API's claim_ops
    condition, widened to "already its own" so a retried row takes its own claim again); every
    other write keeps its condition (a record: absent, or at the version read; search entries:
    none).
    """
    if is_claim(write):
        write = Write(write.action, write.item, free_or_owned_by(write.item["owner_id"]["S"]))
    return write.entry()


def _record_write(item: Item, previous: Record | None) -> Write:
    """The put of a contact or equipment item: new only if absent, else at the version read."""
    if previous is None:
        return Write("put", item, absent())
    return Write("put", item, at_version(previous["version"]))


def _stamped(record: Record, previous: Record | None, now: str, by: str | None) -> Record:
    return {
        **record,
        "version": (previous["version"] + 1) if previous else 1,
        "created_at": previous["created_at"] if previous else now,
        "created_by": previous.get("created_by") if previous else by,
        "updated_at": now,
        "updated_by": by,
    }


class ImportRecordWriter:
    """Implements ports.RecordWriter over chalicelib.store.customers, contacts and equipment."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def load_customers(self, tenant_id: str) -> dict[str, Record]:
        return {c.id: c.record for c in load_customer_index(tenant_id)}

    # Naming more existing customers than this, a file's children are matched against the
    # tenant-wide collections (one paginated Query per shard and kind) instead of a Query per
    # customer.
    PER_CUSTOMER_LIMIT = 100

    def load_children(
        self, tenant_id: str, customer_ids: Iterable[str]
    ) -> tuple[dict[str, Record], dict[str, Record]]:
        """Contacts and equipment of existing customers the file's children name.

        Few customers: one Query of each one's partition (it holds both kinds). Many: the
        tenant's contact and equipment collections (gsi1), keeping only those customers'.
        """
        wanted = set(customer_ids)
        if len(wanted) > self.PER_CUSTOMER_LIMIT:
            from chalicelib.store.children import iter_collection

            def kept(model) -> dict[str, Record]:
                children = iter_collection(model, tenant_id)
                return {r["id"]: r for r in children if r["customer_id"] in wanted}

            return kept(ContactItem), kept(EquipmentItem)
        from chalicelib import aws
        from chalicelib.settings import get_settings

        client = self._client or aws.client("dynamodb")
        pages = client.get_paginator("query")
        contacts: dict[str, Record] = {}
        equipment: dict[str, Record] = {}
        for customer_id in sorted(wanted):
            for page in pages.paginate(
                TableName=get_settings().table_name,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": customer_pk(tenant_id, customer_id)}},
            ):
                for raw in page["Items"]:
                    sk = raw["sk"]["S"]
                    if sk.startswith(CONTACT_PREFIX):
                        record = ContactItem.from_raw_data(raw).to_record()
                        contacts[record["id"]] = record
                    elif sk.startswith(EQUIPMENT_PREFIX):
                        record = EquipmentItem.from_raw_data(raw).to_record()
                        equipment[record["id"]] = record
        return contacts, equipment

    def reserve_customer_numbers(self, tenant_id: str, count: int) -> int:
        return reserve_customer_number_block(tenant_id, count)

    def release_customer_numbers(self, tenant_id: str, last: int, unused: int) -> bool:
        return release_customer_numbers(tenant_id, last, unused)

    def customer_writes(self, tenant_id, record, previous, *, now, by) -> list[dict[str, Any]]:
        stamped = _stamped(record, previous, now, by)
        return [transact_item(op) for op in customer_ops(tenant_id, stamped, previous)]

    def contact_writes(self, tenant_id, record, previous, *, now, by) -> list[dict[str, Any]]:
        stamped = _stamped(record, previous, now, by)
        item = contact_item(tenant_id, stamped)
        entries = contact_entry_ops(tenant_id, stamped, previous)
        return [transact_item(w) for w in (_record_write(item, previous), *entries)]

    def equipment_writes(self, tenant_id, record, previous, *, now, by) -> list[dict[str, Any]]:
        stamped = _stamped(record, previous, now, by)
        item = equipment_item(tenant_id, stamped)
        claims = _equipment_claim_ops(tenant_id, record, previous)
        return [transact_item(w) for w in (_record_write(item, previous), *claims)]

    def write_keys(self, entity, tenant_id, record, previous) -> list[tuple[str, str]]:
        return write_keys(entity, tenant_id, record, previous)


def write_keys(
    entity: str, tenant_id: str, record: Record, previous: Record | None
) -> list[tuple[str, str]]:
    """What another record's writes may share with ``record``'s (``entity``: customer,
    contact or equipment), as hashable keys: ``("record", id)`` for every item only this
    record writes (its item, its search entries: keyed by its id), and the ``(pk, sk)`` of
    each claim it frees or takes (a unique value another row may free or take too).

    Two rows whose ``*_writes`` items share a key share one of these keys, so the importer
    can order rows before their items are built (tests/unit/store/test_write_keys.py).
    """
    if entity == "customer":
        claims = customer_claim_ops(tenant_id, record, previous)
    elif entity == "equipment":
        claims = _equipment_claim_ops(tenant_id, record, previous)
    else:  # a contact claims nothing
        claims = []
    return [("record", record["id"]), *((write.pk, write.sk) for write in claims)]


def _equipment_claim_ops(tenant_id: str, record: Record, previous: Record | None) -> list[Write]:
    """The equipment number's claim, unique within its customer, moved as the record is stored."""
    return claim_ops(
        tenant_id,
        number_scope(record["customer_id"]),
        record["id"],
        (previous or {}).get("equipment_number"),
        record.get("equipment_number"),
        lambda: Conflict("equipment number taken"),
    )
