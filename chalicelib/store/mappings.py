"""Saved column mappings: names unique per tenant by a claim, found by id, name or header set."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, UnicodeAttribute

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.values import name_key
from chalicelib.store.base import VersionedModel, bind, new_id, now_iso, query_page
from chalicelib.store.records import (
    Op,
    UniqueClaim,
    claim_key,
    claim_ops,
    get_or_404,
    stale,
    transact,
    version_matches,
)

SCOPE = "mapping"


class MappingItem(VersionedModel):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    target = UnicodeAttribute()
    mapping = JSONAttribute()
    headers = ListAttribute(of=UnicodeAttribute, default=list)
    headers_signature = UnicodeAttribute()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "target": self.target,
            "mapping": self.mapping,
            "headers": list(self.headers or []),
            "headers_signature": self.headers_signature,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _pk(tenant_id: str) -> str:
    return f"{tenant_id}#MAPPING"


def _signature_pk(tenant_id: str, signature: str) -> str:
    return f"{tenant_id}#MAPSIG#{signature}"


def _duplicate(name: str):
    return lambda: Conflict(f"A mapping named '{name}' already exists.")


def _fill(item: MappingItem, tenant_id: str, values: dict[str, Any]) -> None:
    """``values``: name, target, mapping (validated JSON), headers, headers_signature."""
    for key in ("name", "target", "mapping", "headers", "headers_signature"):
        if key in values:
            setattr(item, key, values[key])
    item.gsi2pk = _signature_pk(tenant_id, item.headers_signature)
    item.gsi2sk = f"{item.updated_at}#{item.id}"
    item.gsi1pk, item.gsi1sk = _pk(tenant_id), f"{name_key(item.name)}#{item.id}"


def create_mapping(tenant_id: str, values: dict[str, Any], by: str | None) -> MappingItem:
    now = now_iso()
    mapping_id = new_id()
    item = MappingItem(
        _pk(tenant_id),
        mapping_id,
        entity="mapping",
        id=mapping_id,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
    )
    _fill(item, tenant_id, values)
    transact(
        [Op("save", item, MappingItem.pk.does_not_exist())]
        + claim_ops(tenant_id, SCOPE, mapping_id, None, item.name, _duplicate(item.name))
    )
    return item


def get_mapping(tenant_id: str, mapping_id: str) -> MappingItem:
    return get_or_404(MappingItem, _pk(tenant_id), mapping_id, "mapping")


def mapping_named(tenant_id: str, name: str) -> MappingItem:
    """The mapping holding ``name`` (ignoring case and spacing), through its unique claim."""
    bind()
    try:
        claim = UniqueClaim.get(claim_key(tenant_id, SCOPE, name), "UNIQUE", consistent_read=True)
    except UniqueClaim.DoesNotExist:
        raise NotFound(f"No saved mapping is named '{name}'.") from None
    return get_mapping(tenant_id, claim.owner_id)


def mapping_for_headers(tenant_id: str, signature: str) -> MappingItem | None:
    """The most recently saved mapping for files with this header set (a Query on gsi2)."""
    bind()
    found = MappingItem.gsi2.query(
        _signature_pk(tenant_id, signature), scan_index_forward=False, limit=1
    )
    return next(iter(found), None)


def list_mappings(
    tenant_id: str, *, limit: int, cursor: str | None
) -> tuple[list[MappingItem], str | None]:
    """By name (gsi1 sorts by the name's key)."""
    bind()
    pk = _pk(tenant_id)
    return query_page(
        lambda **kw: MappingItem.gsi1.query(pk, **kw),
        limit=limit,
        cursor=cursor,
        partition=("gsi1pk", pk),
    )


def update_mapping(
    tenant_id: str,
    mapping_id: str,
    values: dict[str, Any],
    *,
    expected_version: int | None,
    by: str | None,
) -> MappingItem:
    item = get_mapping(tenant_id, mapping_id)
    version_matches(item, expected_version)
    current, old_name = item.version, item.name
    item.version, item.updated_at, item.updated_by = current + 1, now_iso(), by
    _fill(item, tenant_id, values)
    transact(
        [Op("save", item, MappingItem.version == current, stale("mapping"))]
        + claim_ops(tenant_id, SCOPE, mapping_id, old_name, item.name, _duplicate(item.name))
    )
    return item


def delete_mapping(tenant_id: str, mapping_id: str, *, expected_version: int | None) -> None:
    item = get_mapping(tenant_id, mapping_id)
    version_matches(item, expected_version)
    transact(
        [Op("delete", item, MappingItem.version == item.version, stale("mapping"))]
        + claim_ops(tenant_id, SCOPE, mapping_id, item.name, None, _duplicate(item.name))
    )
