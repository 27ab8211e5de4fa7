"""A tenant's first use: its default lookups written once, behind a marker item."""

from __future__ import annotations

import contextlib

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.errors import Conflict, DomainError
from chalicelib.domain.lookups import DEFAULT_LOOKUPS, lookup_kind
from chalicelib.store import reference_cache
from chalicelib.store.base import TableModel, bind, now_iso
from chalicelib.store.lookups import new_lookup_ops
from chalicelib.store.records import Op, transact

MARKER_SK = "PROVISIONED"
DEFAULT_LOOKUP_COUNT = sum(len(items) for items in DEFAULT_LOOKUPS.values())
PROVISIONED_BY = "sitebook"


class ProvisionedMarker(TableModel):
    """pk ``<tenant>#TENANT``, sk ``PROVISIONED``: the tenant's defaults are written."""

    provisioned_at = UnicodeAttribute()
    defaults = UnicodeAttribute()  # "written", or "skipped" for a tenant that had data


class _AlreadyProvisioned(DomainError):
    """Another request provisioned the tenant first (the marker's condition failed)."""


def _pk(tenant_id: str) -> str:
    return f"{tenant_id}#TENANT"


def _marker(tenant_id: str, defaults: str) -> ProvisionedMarker:
    return ProvisionedMarker(
        _pk(tenant_id),
        MARKER_SK,
        entity="tenant",
        provisioned_at=now_iso(),
        defaults=defaults,
    )


def is_provisioned(tenant_id: str) -> bool:
    """Whether the tenant's marker exists (one consistent GetItem)."""
    bind()
    try:
        ProvisionedMarker.get(_pk(tenant_id), MARKER_SK, consistent_read=True)
    except ProvisionedMarker.DoesNotExist:
        return False
    return True


def provision_tenant(tenant_id: str) -> bool:
    """Write the default lookups (DEFAULT_LOOKUPS) and the marker in one transaction.

    True when this call wrote them. False when the marker already existed (another
    request won the race: its condition fails, nothing is written twice) or when the
    tenant already holds a lookup of one of those names (a tenant that had data before
    provisioning existed): then only the marker is written and its lists are left as
    they are. Settings need no item: a tenant without one reads the defaults at version 0.
    One transaction of 2 × DEFAULT_LOOKUP_COUNT + 1 items (DynamoDB allows 100).
    """
    ops = [Op("save", _marker(tenant_id, "written"), _absent(), _already)]
    for kind_name, items in DEFAULT_LOOKUPS.items():
        kind = lookup_kind(kind_name)
        for values in items:
            ops += new_lookup_ops(tenant_id, kind, {"active": True, **values}, PROVISIONED_BY)[1]
    try:
        transact(ops)
    except _AlreadyProvisioned:
        return False
    except Conflict:
        mark_provisioned(tenant_id)
        return False
    reference_cache.forget(tenant_id)  # a list read before this request's provisioning
    return True


def mark_provisioned(tenant_id: str) -> None:
    """Write the marker without the defaults (a tenant that had its own lists already);
    nothing when it exists."""
    with contextlib.suppress(_AlreadyProvisioned):
        transact([Op("save", _marker(tenant_id, "skipped"), _absent(), _already)])


def _absent():
    return ProvisionedMarker.pk.does_not_exist()


def _already() -> DomainError:
    return _AlreadyProvisioned("The tenant is provisioned already.")
