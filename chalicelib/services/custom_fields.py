"""Use cases of custom field definitions."""

from __future__ import annotations

from chalicelib.domain.custom_fields import merge_definition
from chalicelib.store import custom_fields as store
from chalicelib.store.custom_fields import CustomFieldItem
from chalicelib.store.records import version_matches


def list_custom_fields(tenant_id: str) -> list[CustomFieldItem]:
    """Every definition, active or retired, by key."""
    return store.all_custom_fields(tenant_id)


def create_custom_field(tenant_id: str, values: dict, by: str | None) -> CustomFieldItem:
    """Define a field; 422 for a bad definition, Conflict when its key is taken."""
    return store.insert_custom_field(tenant_id, merge_definition(None, values), by)


def update_custom_field(
    tenant_id: str, field_id: str, changes: dict, *, expected_version: int | None, by: str | None
) -> CustomFieldItem:
    """Change label, options, required or active (If-Match honoured)."""
    item = store.get_custom_field(tenant_id, field_id)
    version_matches(item, expected_version)
    return store.save_custom_field(item, merge_definition(item.definition(), changes), by)


def retire_custom_field(
    tenant_id: str, field_id: str, *, expected_version: int | None, by: str | None
) -> CustomFieldItem:
    """Retire a field: values stay on customers and the key stays reserved."""
    return update_custom_field(
        tenant_id, field_id, {"active": False}, expected_version=expected_version, by=by
    )
