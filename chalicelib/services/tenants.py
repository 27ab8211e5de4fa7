"""A tenant is ready on its first request: defaults written once, then remembered per process."""

from __future__ import annotations

import threading

from chalicelib.store import tenants as store

# Tenants this process has seen provisioned: a warm Lambda pays one GetItem per tenant, once.
_ready: set[str] = set()
_lock = threading.Lock()


def ensure_tenant_ready(tenant_id: str) -> None:
    """Give a tenant with no data its default lookups on its first request; cheap after.

    The first call per process and tenant reads the marker (one GetItem) and, when it is
    absent, provisions (store.tenants.provision_tenant: race-free, writes at most once).
    Later calls in the same process return at once, without a round trip.
    """
    if tenant_id in _ready:
        return
    if not store.is_provisioned(tenant_id):
        store.provision_tenant(tenant_id)
    with _lock:
        _ready.add(tenant_id)


def forget_ready_tenants() -> None:
    """Forget what this process saw (tests start each with an empty table)."""
    with _lock:
        _ready.clear()
