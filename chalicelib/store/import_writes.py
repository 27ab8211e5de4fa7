"""The importer's view of the customer store: bulk loads, and a row's records as one transaction.

The items and conditions are the ones the API writes (customers.customer_ops, the contact and
equipment models, the same uniqueness claims and search entries): a record is written only at
the version the plan read (or, new, only if absent), a claim taken only if free or already its
own, so an import never overwrites a change it did not see (docs/decisions/import-writes.md).
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
from chalicelib.store.records import Op, UniqueClaim, claim_ops
from chalicelib.store.search_entries import contact_entry_ops

Record = dict[str, Any]
# What a TransactWriteItems entry may carry beside the item or key (TableName is added when
# the row is written, so a stored plan does not name the table).
_TRANSACT_KEYS = ("ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues")


def transact_item(op: Op) -> dict[str, Any]:
    """``op`` as one entry of TransactWriteItems, without TableName.

    A claim is put or deleted only while it is free or its owner's (the API's claim_ops
    condition, widened to "already its own" so a retried row takes its own claim again); every
    other op keeps its condition (a record: absent, or at the version read; search entries:
    none).
    """
    if isinstance(op.model, UniqueClaim):
        op = Op(
            op.action,
            op.model,
            UniqueClaim.pk.does_not_exist() | (UniqueClaim.owner_id == op.model.owner_id),
        )
    if op.action == "save":
        kwargs = op.model.get_save_kwargs_from_instance(condition=op.condition)
        entry = {"Item": kwargs["Item"]}
        name = "Put"
    else:
        kwargs = op.model.get_delete_kwargs_from_instance(condition=op.condition)
        entry = {"Key": kwargs["Key"]}
        name = "Delete"
    entry |= {key: kwargs[key] for key in _TRANSACT_KEYS if key in kwargs}
    return {name: entry}


def _record_op(item: Any, model: type, previous: Record | None) -> Op:
    """The save of a contact or equipment item: new only if absent, else at the version read."""
    if previous is None:
        return Op("save", item, model.pk.does_not_exist())
    return Op("save", item, model.version == previous["version"])


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
        return [transact_item(op) for op in customer_ops(tenant_id, stamped, previous)]

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
        ops = [_record_op(item, ContactItem, previous), *entries]
        return [transact_item(op) for op in ops]

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
        ops = [_record_op(item, EquipmentItem, previous), *claims]
        return [transact_item(op) for op in ops]
