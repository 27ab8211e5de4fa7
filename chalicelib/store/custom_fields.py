"""Custom field definitions: one partition per tenant, the key unique through a claim."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, UnicodeAttribute

from chalicelib.domain.custom_fields import CustomFieldDefinition
from chalicelib.domain.errors import Conflict
from chalicelib.store import reference_cache
from chalicelib.store.base import VersionedModel, bind, new_id, now_iso
from chalicelib.store.records import Op, claim_ops, get_or_404, stale, transact

SCOPE = "custom-field"


class CustomFieldItem(VersionedModel):
    id = UnicodeAttribute()
    key = UnicodeAttribute()
    label = UnicodeAttribute()
    type = UnicodeAttribute()
    options = ListAttribute(of=UnicodeAttribute, default=list)
    required = BooleanAttribute(default=False)
    active = BooleanAttribute(default=True)

    def definition(self) -> CustomFieldDefinition:
        return CustomFieldDefinition(
            self.key, self.label, self.type, tuple(self.options or ()), self.required, self.active
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "label": self.label,
            "type": self.type,
            "options": list(self.options or []),
            "required": self.required,
            "active": self.active,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _partition(tenant_id: str) -> str:
    return f"{tenant_id}#CUSTOMFIELD"


def _duplicate(key: str):
    return lambda: Conflict(f"A custom field with the key '{key}' already exists.")


def _apply(item: CustomFieldItem, definition: CustomFieldDefinition) -> None:
    item.key, item.label, item.type = definition.key, definition.label, definition.type
    item.options, item.required = list(definition.options), definition.required
    item.active = definition.active


def insert_custom_field(
    tenant_id: str, definition: CustomFieldDefinition, by: str | None
) -> CustomFieldItem:
    """Store a new (validated) definition; Conflict when its key is taken."""
    now = now_iso()
    field_id = new_id()
    item = CustomFieldItem(
        _partition(tenant_id),
        field_id,
        entity="custom_field",
        id=field_id,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
    )
    _apply(item, definition)
    transact(
        [Op("save", item, CustomFieldItem.pk.does_not_exist())]
        + claim_ops(tenant_id, SCOPE, field_id, None, item.key, _duplicate(item.key))
    )
    reference_cache.forget(tenant_id)
    return item


def get_custom_field(tenant_id: str, field_id: str) -> CustomFieldItem:
    return get_or_404(CustomFieldItem, _partition(tenant_id), field_id, "custom field")


def all_custom_fields(tenant_id: str) -> list[CustomFieldItem]:
    """Every definition of the tenant, active or not (lists are short), ordered by key."""
    bind()
    items = list(CustomFieldItem.query(_partition(tenant_id)))
    return sorted(items, key=lambda item: item.key)


def custom_field_definitions(tenant_id: str) -> list[CustomFieldDefinition]:
    return [item.definition() for item in all_custom_fields(tenant_id)]


def save_custom_field(
    item: CustomFieldItem, definition: CustomFieldDefinition, by: str | None
) -> CustomFieldItem:
    """Write the (validated) ``definition`` over the stored ``item``, on its version."""
    current = item.version
    _apply(item, definition)
    item.version, item.updated_at, item.updated_by = current + 1, now_iso(), by
    transact([Op("save", item, CustomFieldItem.version == current, stale("custom field"))])
    reference_cache.forget(item.pk.removesuffix(_partition("")))
    return item
