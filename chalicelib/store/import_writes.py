"""The importer's view of the customer store: bulk loads, and records turned into batch writes.

The items are the ones the API writes (customers.customer_ops, the contact and equipment
models, the same uniqueness claims and search entries) without transaction conditions: the
importer has already checked uniqueness in memory against the loaded index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.store.contacts import PREFIX as CONTACT_PREFIX
from chalicelib.store.contacts import ContactItem
from chalicelib.store.customers import (
    customer_ops,
    customer_pk,
    load_customer_index,
    release_customer_numbers,
    reserve_customer_number_block,
)
from chalicelib.store.equipment import PREFIX as EQUIPMENT_PREFIX
from chalicelib.store.equipment import EquipmentItem, number_scope
from chalicelib.store.records import Op, claim_ops
from chalicelib.store.search_entries import contact_entry_ops

Record = dict[str, Any]


def _write_of(op: Op) -> dict[str, Any]:
    if op.action == "save":
        return {"PutRequest": {"Item": op.model.serialize()}}
    return {"DeleteRequest": {"Key": {"pk": {"S": op.model.pk}, "sk": {"S": op.model.sk}}}}


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
    # tenant-wide collections (one paginated Query per kind) instead of a Query per customer.
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
        return [_write_of(op) for op in customer_ops(tenant_id, stamped, previous)]

    def contact_writes(self, tenant_id, record, previous, *, now, by) -> list[dict[str, Any]]:
        stamped = _stamped(record, previous, now, by)
        values = {k: v for k, v in stamped.items() if v is not None and k not in ("id",)}
        values["is_default"] = bool(stamped.get("is_default"))
        item = ContactItem.new(
            tenant_id,
            record["customer_id"],
            record["id"],
            **{k: v for k, v in values.items() if k != "customer_id"},
        )
        entries = contact_entry_ops(tenant_id, stamped, previous)
        return [{"PutRequest": {"Item": item.serialize()}}] + [_write_of(op) for op in entries]

    def equipment_writes(self, tenant_id, record, previous, *, now, by) -> list[dict[str, Any]]:
        stamped = _stamped(record, previous, now, by)
        values = {k: v for k, v in stamped.items() if v is not None and k not in ("id",)}
        item = EquipmentItem.new(
            tenant_id,
            record["customer_id"],
            record["id"],
            **{k: v for k, v in values.items() if k != "customer_id"},
        )
        claims = claim_ops(
            tenant_id,
            number_scope(record["customer_id"]),
            record["id"],
            (previous or {}).get("equipment_number"),
            record.get("equipment_number"),
            lambda: Conflict("equipment number taken"),
        )
        return [{"PutRequest": {"Item": item.serialize()}}] + [_write_of(op) for op in claims]
