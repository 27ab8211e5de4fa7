"""Use cases of a customer's equipment."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.customers import References, prepare_equipment
from chalicelib.services.references import active_ids, settings_of
from chalicelib.store import equipment as store
from chalicelib.store.customers import require_customer
from chalicelib.store.records import version_matches


def _prepare(tenant_id: str, data: dict, existing: dict | None = None) -> dict[str, Any]:
    refs = References(equipment_types=active_ids(tenant_id, "equipment-types"))
    settings = settings_of(tenant_id)
    return prepare_equipment(data, existing=existing, refs=refs, settings=settings)


def list_equipment(
    tenant_id: str, customer_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the customer's equipment; NotFound for an unknown customer."""
    return store.list_equipment(tenant_id, customer_id, limit=limit, cursor=cursor)


def get_equipment(tenant_id: str, customer_id: str, equipment_id: str) -> dict[str, Any]:
    return store.get_equipment(tenant_id, customer_id, equipment_id).to_record()


def create_equipment(tenant_id: str, customer_id: str, data: dict, by: str | None) -> dict:
    """Add equipment; Conflict when the customer already has its number."""
    parent = require_customer(tenant_id, customer_id)
    return store.insert_equipment(tenant_id, parent, _prepare(tenant_id, data), by)


def update_equipment(
    tenant_id: str,
    customer_id: str,
    equipment_id: str,
    changes: dict,
    *,
    expected_version: int | None,
    by: str | None,
) -> dict:
    """Change equipment (If-Match honoured); Conflict when its new number is taken."""
    item = store.get_equipment(tenant_id, customer_id, equipment_id)
    version_matches(item, expected_version)
    prepared = _prepare(tenant_id, changes, existing=item.to_record())
    return store.save_equipment(tenant_id, item, prepared, by)


def delete_equipment(
    tenant_id: str, customer_id: str, equipment_id: str, *, expected_version: int | None
) -> None:
    """Remove equipment and free its number."""
    item = store.get_equipment(tenant_id, customer_id, equipment_id)
    version_matches(item, expected_version)
    store.remove_equipment(tenant_id, item)
