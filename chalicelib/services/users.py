"""Use cases of the tenant's staff users."""

from __future__ import annotations

from chalicelib.domain.users import prepare_user
from chalicelib.store import users as store
from chalicelib.store.records import version_matches
from chalicelib.store.users import UserItem


def list_users(
    tenant_id: str, *, limit: int, cursor: str | None, active: bool | None
) -> tuple[list[UserItem], str | None]:
    return store.list_users(tenant_id, limit=limit, cursor=cursor, active=active)


def get_user(tenant_id: str, user_id: str) -> UserItem:
    return store.get_user(tenant_id, user_id)


def create_user(tenant_id: str, values: dict, by: str | None) -> UserItem:
    """Add a user; Conflict when another has the e-mail address (ignoring case)."""
    return store.create_user(tenant_id, prepare_user(values), by)


def update_user(
    tenant_id: str, user_id: str, changes: dict, *, expected_version: int | None, by: str | None
) -> UserItem:
    """Change a user (If-Match honoured); no field may be cleared."""
    prepared = prepare_user(changes, partial=True)
    item = store.get_user(tenant_id, user_id)
    version_matches(item, expected_version)
    return store.save_user(tenant_id, item, prepared, by)
