"""A tenant's settings item; a tenant with none yet reads the defaults."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.errors import Conflict
from chalicelib.domain.tenant_settings import TenantSettings
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
    current = get_tenant_settings(tenant_id)
    version_matches(current, expected_version)  # type: ignore[arg-type]
    now = now_iso()
    item = SettingsItem(
        _pk(tenant_id),
        SETTINGS_SK,
        entity="settings",
        version=current.version + 1,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
        **values,
    )
    if current.version == 0:
        condition, on_fail = (
            SettingsItem.pk.does_not_exist(),
            (lambda: Conflict("Settings were created meanwhile.")),
        )
    else:
        condition, on_fail = SettingsItem.version == current.version, stale("settings")
    transact([Op("save", item, condition, on_fail)])
    return TenantSettings(item.customer_label, item.default_country, item.date_order, item.version)
