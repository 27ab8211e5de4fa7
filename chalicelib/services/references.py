"""What a record may refer to (lookups, users, custom fields, settings), read through the cache.

Each is read at most once per request, and kept per warm process for a few seconds
(chalicelib/store/reference_cache.py says when a change is seen). Edits of these records and
``If-Match`` checks read the store itself, never these.
"""

from __future__ import annotations

from chalicelib.domain.custom_fields import CustomFieldDefinition
from chalicelib.domain.tenant_settings import TenantSettings
from chalicelib.store import custom_fields, lookups, tenant_settings, users
from chalicelib.store.reference_cache import cached


def active_ids(tenant_id: str, kind: str) -> frozenset[str]:
    """The ids of the active items of lookup ``kind``: what a record may newly refer to."""
    return cached(
        tenant_id,
        f"lookups:{kind}",
        lambda: frozenset(item.id for item in lookups.all_lookups(tenant_id, kind) if item.active),
    )


def active_user_ids(tenant_id: str) -> frozenset[str]:
    """The ids of the tenant's active users (whom a customer may be assigned to)."""
    return cached(
        tenant_id,
        "users",
        lambda: frozenset(user.id for user in users.all_users(tenant_id) if user.active),
    )


def custom_field_definitions(tenant_id: str) -> tuple[CustomFieldDefinition, ...]:
    """Every custom field definition of the tenant, active or not, ordered by key."""
    return cached(
        tenant_id,
        "custom-fields",
        lambda: tuple(custom_fields.custom_field_definitions(tenant_id)),
    )


def settings_of(tenant_id: str) -> TenantSettings:
    """The tenant's settings (defaults while it has saved none), as records are prepared."""
    return cached(tenant_id, "settings", lambda: tenant_settings.get_tenant_settings(tenant_id))
