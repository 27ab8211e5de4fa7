"""A tenant's settings item; a tenant with none yet reads the defaults."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.errors import PreconditionFailed
from chalicelib.domain.tenant_settings import TenantSettings
from chalicelib.store import reference_cache
from chalicelib.store.base import VersionedModel, bind, now_iso
from chalicelib.store.records import Op, stale, transact, version_matches

SETTINGS_SK = "SETTINGS"


class SettingsItem(VersionedModel):
    customer_label = UnicodeAttribute()
    default_country = UnicodeAttribute()
    date_order = UnicodeAttribute()


def _pk(tenant_id: str) -> str:
    return f"{tenant_id}#SETTINGS"


def get_tenant_settings(tenant_id: str) -> TenantSettings:
    bind()
    try:
        item = SettingsItem.get(_pk(tenant_id), SETTINGS_SK, consistent_read=True)
    except SettingsItem.DoesNotExist:
        return TenantSettings()
    return TenantSettings(item.customer_label, item.default_country, item.date_order, item.version)


def put_tenant_settings(
    tenant_id: str, values: dict, *, expected_version: int | None, by: str | None
) -> TenantSettings:
    """Replace the tenant's settings; returns them at their new version.

    With ``expected_version`` (If-Match) the write is conditional on it: a stale version,
    or losing a race with another writer of that same version (two first PUTs with
    ``If-Match: "0"``), is PreconditionFailed (412). Without it the last writer wins: a lost
    race re-reads and writes again.
    """
    for attempt in range(2):
        current = get_tenant_settings(tenant_id)
        version_matches(current, expected_version)  # type: ignore[arg-type]
        try:
            return _write(tenant_id, values, current.version, by)
        except PreconditionFailed:
            if expected_version is not None or attempt == 1:
                raise
    raise AssertionError("unreachable")


def _write(tenant_id: str, values: dict, version: int, by: str | None) -> TenantSettings:
    now = now_iso()
    item = SettingsItem(
        _pk(tenant_id),
        SETTINGS_SK,
        entity="settings",
        version=version + 1,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
        **values,
    )
    condition = (
        SettingsItem.pk.does_not_exist() if version == 0 else SettingsItem.version == version
    )
    transact([Op("save", item, condition, stale("settings"))])
    reference_cache.forget(tenant_id)
    return TenantSettings(item.customer_label, item.default_country, item.date_order, item.version)
