"""A customer's equipment, under the customer's partition; equipment numbers unique per customer."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.customers import EQUIPMENT_FIELDS
from chalicelib.domain.errors import Conflict, FieldError, NotFound
from chalicelib.store.base import new_id, now_iso
from chalicelib.store.children import CustomerChildItem, child_item, get_child, list_children
from chalicelib.store.customers import CustomerItem
from chalicelib.store.item_json import Item, Write, absent, at_version
from chalicelib.store.records import Op, claim_ops, stale, transact


class EquipmentItem(CustomerChildItem):
    """pk ``<tenant>#CUSTOMER#<customer id>``, sk ``EQUIP#<id>``; gsi1
    ``<tenant>#EQUIPMENT#<shard>`` (``children.collection_keys``)."""

    PREFIX = "EQUIP#"
    COLLECTION = "EQUIPMENT"
    ENTITY = "equipment"

    equipment_number = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    location = UnicodeAttribute(null=True)
    make = UnicodeAttribute(null=True)
    model_number = UnicodeAttribute(null=True)
    serial_number = UnicodeAttribute(null=True)
    supplier = UnicodeAttribute(null=True)
    equipment_type_id = UnicodeAttribute()
    installation_date = UnicodeAttribute(null=True)
    commission_date = UnicodeAttribute(null=True)
    warranty_expiry = UnicodeAttribute(null=True)
    service_period_start = UnicodeAttribute(null=True)
    service_period_end = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)

    def to_record(self) -> dict[str, Any]:
        record = {"id": self.id, "customer_id": self.customer_id}
        record |= {name: getattr(self, name) for name in EQUIPMENT_FIELDS}
        record |= {
            "version": int(self.version),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        return record


PREFIX = EquipmentItem.PREFIX


def equipment_item(tenant_id: str, record: dict[str, Any]) -> Item:
    """Equipment's item as DynamoDB JSON, for the API's transactions and the importer's rows
    alike: ``record`` has id, customer_id, its fields and bookkeeping (version, created_at,
    updated_at, created_by, updated_by); the same item EquipmentItem's ``serialize()`` gives."""
    return child_item(EquipmentItem, tenant_id, record, EQUIPMENT_FIELDS)


def _record(item: EquipmentItem) -> dict[str, Any]:
    return item.to_record() | {"created_by": item.created_by, "updated_by": item.updated_by}


def number_scope(customer_id: str) -> str:
    return f"equipment-number#{customer_id}"


def _duplicate(number: str | None):
    return lambda: Conflict(
        f"This customer already has equipment numbered '{number}'.",
        errors=[FieldError("equipment_number", "is already used by this customer's equipment")],
    )


def list_equipment(
    tenant_id: str, customer_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    return list_children(EquipmentItem, tenant_id, customer_id, limit=limit, cursor=cursor)


def get_equipment(tenant_id: str, customer_id: str, equipment_id: str) -> EquipmentItem:
    return get_child(EquipmentItem, tenant_id, customer_id, equipment_id, "equipment")


def insert_equipment(tenant_id: str, parent: CustomerItem, prepared: dict, by: str | None) -> dict:
    """Store new equipment of ``parent`` with the claim on its number, all or nothing.

    Conflict when the customer already has equipment with that number; NotFound when the
    customer went meanwhile.
    """
    now, equipment_id = now_iso(), new_id()
    item = EquipmentItem.new(
        tenant_id,
        parent.id,
        equipment_id,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
        **{k: v for k, v in prepared.items() if v is not None},
    )
    number = prepared.get("equipment_number")
    transact(
        [
            Write("put", equipment_item(tenant_id, _record(item)), absent()),
            Op("check", parent, CustomerItem.pk.exists(), lambda: NotFound("No such customer.")),
        ]
        + claim_ops(
            tenant_id, number_scope(parent.id), equipment_id, None, number, _duplicate(number)
        )
    )
    return item.to_record()


def save_equipment(tenant_id: str, item: EquipmentItem, prepared: dict, by: str | None) -> dict:
    """Write ``prepared`` over the stored ``item``, moving the claim on its number with it."""
    old, new = item.equipment_number, prepared.get("equipment_number")
    current = item.version
    for name in EQUIPMENT_FIELDS:
        setattr(item, name, prepared.get(name))
    item.version, item.updated_at, item.updated_by = current + 1, now_iso(), by
    scope = number_scope(item.customer_id)
    transact(
        [
            Write(
                "put",
                equipment_item(tenant_id, _record(item)),
                at_version(current),
                stale("equipment"),
            )
        ]
        + claim_ops(tenant_id, scope, item.id, old, new, _duplicate(new))
    )
    return item.to_record()


def remove_equipment(tenant_id: str, item: EquipmentItem) -> None:
    """Delete the stored ``item`` and free its number (docs/decisions/customers.md says why)."""
    scope = number_scope(item.customer_id)
    transact(
        [Op("delete", item, EquipmentItem.version == item.version, stale("equipment"))]
        + claim_ops(tenant_id, scope, item.id, item.equipment_number, None, None)
    )
