"""Staff users of a tenant: one partition per tenant, listed by name on gsi1, e-mail unique."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.domain.errors import Conflict
from chalicelib.domain.values import name_key
from chalicelib.store import reference_cache
from chalicelib.store.base import VersionedModel, bind, new_id, now_iso, query_page
from chalicelib.store.records import Op, claim_ops, get_or_404, stale, transact

EMAIL_SCOPE = "user-email"


class UserItem(VersionedModel):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    role = UnicodeAttribute(default="staff")
    active = BooleanAttribute(default=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "active": self.active,
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _partition(tenant_id: str) -> str:
    return f"{tenant_id}#USER"


def _duplicate(email: str):
    return lambda: Conflict(f"A user with the e-mail address '{email}' already exists.")


def _index_keys(item: UserItem) -> None:
    item.gsi1pk = item.pk
    item.gsi1sk = f"{name_key(item.name)}#{item.id}"


def create_user(
    tenant_id: str, values: dict, by: str | None, user_id: str | None = None
) -> UserItem:
    now = now_iso()
    user_id = user_id or new_id()
    item = UserItem(
        _partition(tenant_id),
        user_id,
        entity="user",
        id=user_id,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
        **values,
    )
    _index_keys(item)
    transact(
        [Op("save", item, UserItem.pk.does_not_exist(), lambda: Conflict("That user id is taken."))]
        + claim_ops(tenant_id, EMAIL_SCOPE, user_id, None, item.email, _duplicate(item.email))
    )
    reference_cache.forget(tenant_id)
    return item


def get_user(tenant_id: str, user_id: str) -> UserItem:
    return get_or_404(UserItem, _partition(tenant_id), user_id, "user")


def list_users(
    tenant_id: str, *, limit: int, cursor: str | None, active: bool | None = None
) -> tuple[list[UserItem], str | None]:
    bind()
    pk = _partition(tenant_id)
    condition = None if active is None else (UserItem.active == active)
    return query_page(
        lambda **kw: UserItem.gsi1.query(pk, filter_condition=condition, **kw),
        limit=limit,
        cursor=cursor,
        partition=("gsi1pk", pk),
    )


def all_users(tenant_id: str) -> list[UserItem]:
    bind()
    return list(UserItem.query(_partition(tenant_id)))


def save_user(tenant_id: str, item: UserItem, changes: dict, by: str | None) -> UserItem:
    """Write checked ``changes`` over the stored ``item``; Conflict when its new e-mail is taken."""
    user_id = item.id
    old_email, current = item.email, item.version
    for field, value in changes.items():
        setattr(item, field, value)
    item.version, item.updated_at, item.updated_by = current + 1, now_iso(), by
    _index_keys(item)
    transact(
        [Op("save", item, UserItem.version == current, stale("user"))]
        + claim_ops(tenant_id, EMAIL_SCOPE, user_id, old_email, item.email, _duplicate(item.email))
    )
    reference_cache.forget(tenant_id)
    return item
