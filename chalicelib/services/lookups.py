"""Use cases of the lookup lists: who may change which kind, and what each kind carries."""

from __future__ import annotations

from chalicelib.domain.errors import FieldError, ValidationFailed, refuse_nulls
from chalicelib.domain.lookups import check_extra_fields, lookup_kind, writable_kind
from chalicelib.store import lookups as store
from chalicelib.store.lookups import LookupItem
from chalicelib.store.records import version_matches


def list_lookups(
    tenant_id: str,
    kind: str,
    *,
    limit: int,
    cursor: str | None,
    active: bool | None,
    sort: str | None = None,
) -> tuple[list[LookupItem], str | None]:
    """A page of a kind's items in the kind's order (payment terms by due days, the others
    by name); NotFound for an unknown kind, ValidationFailed for another ``sort``."""
    target = lookup_kind(kind)
    if sort is not None and sort != target.order:
        raise ValidationFailed([FieldError("sort", f"{target.label}s list by {target.order}")])
    return store.list_lookups(tenant_id, target, limit=limit, cursor=cursor, active=active)


def get_lookup(tenant_id: str, kind: str, lookup_id: str) -> LookupItem:
    return store.get_lookup(tenant_id, lookup_kind(kind), lookup_id)


def create_lookup(
    tenant_id: str, kind: str, values: dict, *, by: str | None, is_admin: bool
) -> LookupItem:
    """Add an item: Forbidden on an admin-only kind for staff, 422 on another kind's fields."""
    target = writable_kind(kind, is_admin=is_admin)
    check_extra_fields(target, values, creating=True)
    return store.create_lookup(tenant_id, target, values, by)


def update_lookup(
    tenant_id: str,
    kind: str,
    lookup_id: str,
    changes: dict,
    *,
    expected_version: int | None,
    by: str | None,
    is_admin: bool,
) -> LookupItem:
    """Change an item (If-Match honoured); its name and active flag cannot be cleared."""
    target = writable_kind(kind, is_admin=is_admin)
    refuse_nulls(changes, ("name", "active"))
    check_extra_fields(target, changes, creating=False)
    item = store.get_lookup(tenant_id, target, lookup_id)
    version_matches(item, expected_version)
    return store.save_lookup(tenant_id, target, item, changes, by)


def archive_lookup(
    tenant_id: str,
    kind: str,
    lookup_id: str,
    *,
    expected_version: int | None,
    by: str | None,
    is_admin: bool,
) -> LookupItem:
    """Archive an item: it stays on the records that chose it, and leaves the dropdowns."""
    return update_lookup(
        tenant_id,
        kind,
        lookup_id,
        {"active": False},
        expected_version=expected_version,
        by=by,
        is_admin=is_admin,
    )
