"""Lookup items: one partition per tenant and kind, listed by name on gsi1."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.domain.errors import Conflict
from chalicelib.domain.lookups import LOOKUP_KINDS, LookupKind
from chalicelib.domain.search import sort_key
from chalicelib.store import reference_cache
from chalicelib.store.base import VersionedModel, bind, new_id, now_iso, query_page
from chalicelib.store.records import Op, claim_ops, get_or_404, stale, transact


class LookupItem(VersionedModel):
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    name = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    due_days = NumberAttribute(null=True)
    due_basis = UnicodeAttribute(null=True)
    adjustment_percent = NumberAttribute(null=True)

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "kind": self.kind, "name": self.name, "active": self.active}
        for field in ("due_days", "due_basis", "adjustment_percent"):
            value = getattr(self, field)
            if value is not None:
                out[field] = value
        out.update(version=self.version, created_at=self.created_at, updated_at=self.updated_at)
        return out


def _partition(tenant_id: str, kind: str) -> str:
    return f"{tenant_id}#LOOKUP#{kind}"


def _scope(kind: str) -> str:
    return f"lookup:{kind}"


def _duplicate(kind: LookupKind, name: str):
    return lambda: Conflict(
        f"A {kind.label} named '{name}' already exists.",
        title=f"{kind.label.capitalize()} name taken",
    )


def _index_keys(item: LookupItem) -> None:
    """gsi1 lists a kind in its order: by due days (zero-padded, none last) then name for
    payment terms, by the accent-folded name for the others."""
    item.gsi1pk = item.pk
    item.gsi1sk = f"{sort_key(item.name)}#{item.id}"
    if LOOKUP_KINDS[item.kind].order == "due_days":
        due = 999_999 if item.due_days is None else max(0, int(item.due_days))
        item.gsi1sk = f"{due:06d}#{item.gsi1sk}"


def create_lookup(tenant_id: str, kind: LookupKind, values: dict, by: str | None) -> LookupItem:
    """Store a new item of ``kind`` from checked ``values``; Conflict when its name is taken."""
    item, ops = new_lookup_ops(tenant_id, kind, values, by)
    transact(ops)
    reference_cache.forget(tenant_id)  # usable at once by the request that created it
    return item


def new_lookup_ops(
    tenant_id: str, kind: LookupKind, values: dict, by: str | None
) -> tuple[LookupItem, list[Op]]:
    """A new item of ``kind`` and the writes that store it with its name's claim (a Conflict
    naming the holder when the name is taken), for this or a larger transaction."""
    now = now_iso()
    item = LookupItem(
        _partition(tenant_id, kind.name),
        new_id(),
        entity="lookup",
        kind=kind.name,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
        version=1,
        **{k: v for k, v in values.items() if v is not None},
    )
    item.id = item.sk
    _index_keys(item)
    ops = [Op("save", item, LookupItem.pk.does_not_exist())] + claim_ops(
        tenant_id, _scope(kind.name), item.id, None, item.name, _duplicate(kind, item.name)
    )
    return item, ops


def get_lookup(tenant_id: str, kind: LookupKind, lookup_id: str) -> LookupItem:
    return get_or_404(LookupItem, _partition(tenant_id, kind.name), lookup_id, kind.label)


def list_lookups(
    tenant_id: str, kind: LookupKind, *, limit: int, cursor: str | None, active: bool | None
) -> tuple[list[LookupItem], str | None]:
    bind()
    pk = _partition(tenant_id, kind.name)
    condition = None if active is None else (LookupItem.active == active)
    return query_page(
        lambda **kw: LookupItem.gsi1.query(pk, filter_condition=condition, **kw),
        limit=limit,
        cursor=cursor,
        partition=("gsi1pk", pk),
    )


def all_lookups(tenant_id: str, kind: str) -> list[LookupItem]:
    """Every item of a kind (lists are short): for the template's dropdowns and the importer."""
    bind()
    return list(LookupItem.query(_partition(tenant_id, kind)))


def save_lookup(
    tenant_id: str, kind: LookupKind, item: LookupItem, changes: dict, by: str | None
) -> LookupItem:
    """Write checked ``changes`` over the stored ``item``, moving its name's claim with it."""
    old_name, current = item.name, item.version
    for field, value in changes.items():
        setattr(item, field, value)
    item.version, item.updated_at, item.updated_by = current + 1, now_iso(), by
    _index_keys(item)
    transact(
        [Op("save", item, LookupItem.version == current, stale(kind.label))]
        + claim_ops(
            tenant_id, _scope(kind.name), item.id, old_name, item.name, _duplicate(kind, item.name)
        )
    )
    reference_cache.forget(tenant_id)
    return item


def remove_lookup(tenant_id: str, item: LookupItem) -> None:
    """Delete ``item`` and free its name, on its version (import undo; the API archives)."""
    transact(
        [Op("delete", item, LookupItem.version == item.version, stale("lookup"))]
        + claim_ops(tenant_id, _scope(item.kind), item.id, item.name, None, None)
    )
