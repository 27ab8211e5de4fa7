"""Use cases of the tenant's settings."""

from __future__ import annotations

from chalicelib.domain.tenant_settings import TenantSettings, prepare_settings
from chalicelib.store import tenant_settings as store


def get_settings(tenant_id: str) -> TenantSettings:
    """The tenant's settings, or the defaults while it has saved none."""
    return store.get_tenant_settings(tenant_id)


def put_settings(
    tenant_id: str, values: dict, *, expected_version: int | None, by: str | None
) -> TenantSettings:
    """Replace the settings (If-Match honoured); 422 for a country that cannot be read."""
    prepared = prepare_settings(values)
    return store.put_tenant_settings(tenant_id, prepared, expected_version=expected_version, by=by)
