"""Routes for health, the OpenAPI document, lookups, users and settings."""

from __future__ import annotations

from chalicelib.api import schemas as s
from chalicelib.api.http import Call, Endpoints, QueryParam, page, record
from chalicelib.domain.errors import FieldError, Forbidden, ValidationFailed
from chalicelib.domain.lookups import LOOKUP_KINDS, check_extra_fields, lookup_kind
from chalicelib.store import lookups, tenant_settings, users

api = Endpoints(__name__, "platform")
ACTIVE = QueryParam("active", "Only active (true) or archived (false) items.", "boolean")
KIND_ENUM = tuple(LOOKUP_KINDS)


@api.route("/health", "GET", summary="Liveness check", response=s.Health, public=True)
def health(call: Call):
    return {"status": "ok"}


@api.route("/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", public=True)
def openapi(call: Call):
    from chalicelib.api.openapi import openapi_document

    return openapi_document()


# --- lookups -------------------------------------------------------------------


def _writable_kind(call: Call, kind_name: str):
    kind = lookup_kind(kind_name)
    if kind.admin_only and not call.caller.is_admin:
        raise Forbidden(f"Only an admin can change {kind.name}.")
    return kind


@api.route(
    "/lookups/{kind}",
    "GET",
    summary="List a lookup list by name",
    response=s.LookupPage,
    query=(ACTIVE,),
    paged=True,
    errors=(404,),
)
def list_lookups(call: Call, kind: str):
    limit, cursor = call.page()
    items, nxt = lookups.list_lookups(
        call.tenant_id,
        lookup_kind(kind),
        limit=limit,
        cursor=cursor,
        active=call.query_bool("active"),
    )
    return page([i.to_dict() for i in items], nxt)


@api.route(
    "/lookups/{kind}",
    "POST",
    summary="Add an item to a lookup list",
    body=s.LookupCreate,
    response=s.Lookup,
    status=201,
    errors=(403, 404, 409, 422),
)
def create_lookup(call: Call, kind: str):
    target = _writable_kind(call, kind)
    values = call.body(s.LookupCreate).model_dump()
    check_extra_fields(target, values, creating=True)
    return record(
        lookups.create_lookup(call.tenant_id, target, values, call.user_id).to_dict(), 201
    )


@api.route(
    "/lookups/{kind}/{lookup_id}",
    "GET",
    summary="Read a lookup item",
    response=s.Lookup,
    errors=(404,),
)
def get_lookup(call: Call, kind: str, lookup_id: str):
    return record(lookups.get_lookup(call.tenant_id, lookup_kind(kind), lookup_id).to_dict())


@api.route(
    "/lookups/{kind}/{lookup_id}",
    "PATCH",
    summary="Change a lookup item",
    body=s.LookupPatch,
    response=s.Lookup,
    errors=(403, 404, 409, 412, 422),
)
def patch_lookup(call: Call, kind: str, lookup_id: str):
    target = _writable_kind(call, kind)
    changes = call.body(s.LookupPatch).model_dump(exclude_unset=True)
    nulls = [
        FieldError(k, "cannot be null")
        for k in ("name", "active")
        if k in changes and changes[k] is None
    ]
    if nulls:
        raise ValidationFailed(nulls)
    check_extra_fields(target, changes, creating=False)
    item = lookups.update_lookup(
        call.tenant_id,
        target,
        lookup_id,
        changes,
        expected_version=call.if_match(),
        by=call.user_id,
    )
    return record(item.to_dict())


@api.route(
    "/lookups/{kind}/{lookup_id}",
    "DELETE",
    summary="Archive a lookup item (it stays on records)",
    response=s.Lookup,
    errors=(403, 404, 412),
)
def archive_lookup(call: Call, kind: str, lookup_id: str):
    target = _writable_kind(call, kind)
    item = lookups.update_lookup(
        call.tenant_id,
        target,
        lookup_id,
        {"active": False},
        expected_version=call.if_match(),
        by=call.user_id,
    )
    return record(item.to_dict())


# --- users ---------------------------------------------------------------------


@api.route(
    "/users", "GET", summary="List staff by name", response=s.UserPage, query=(ACTIVE,), paged=True
)
def list_users(call: Call):
    limit, cursor = call.page()
    items, nxt = users.list_users(
        call.tenant_id, limit=limit, cursor=cursor, active=call.query_bool("active")
    )
    return page([i.to_dict() for i in items], nxt)


@api.route(
    "/users",
    "POST",
    summary="Add a staff user",
    body=s.UserCreate,
    response=s.User,
    status=201,
    admin=True,
    errors=(403, 409, 422),
)
def create_user(call: Call):
    values = call.body(s.UserCreate).model_dump()
    values["email"] = values["email"].lower()
    return record(users.create_user(call.tenant_id, values, call.user_id).to_dict(), 201)


@api.route("/users/{user_id}", "GET", summary="Read a staff user", response=s.User, errors=(404,))
def get_user(call: Call, user_id: str):
    return record(users.get_user(call.tenant_id, user_id).to_dict())


@api.route(
    "/users/{user_id}",
    "PATCH",
    summary="Change a staff user",
    body=s.UserPatch,
    response=s.User,
    admin=True,
    errors=(403, 404, 409, 412, 422),
)
def patch_user(call: Call, user_id: str):
    changes = call.body(s.UserPatch).model_dump(exclude_unset=True)
    nulls = [FieldError(k, "cannot be null") for k, v in changes.items() if v is None]
    if nulls:
        raise ValidationFailed(nulls)
    if "email" in changes:
        changes["email"] = changes["email"].lower()
    item = users.update_user(
        call.tenant_id, user_id, changes, expected_version=call.if_match(), by=call.user_id
    )
    return record(item.to_dict())


# --- settings ------------------------------------------------------------------


@api.route("/settings", "GET", summary="Read the account's settings", response=s.Settings)
def get_settings(call: Call):
    return record(tenant_settings.get_tenant_settings(call.tenant_id).to_dict())


@api.route(
    "/settings",
    "PUT",
    summary="Replace the account's settings",
    body=s.SettingsPut,
    response=s.Settings,
    admin=True,
    errors=(403, 412, 422),
)
def put_settings(call: Call):
    from chalicelib.domain.values import InvalidValue, normalize_country

    values = call.body(s.SettingsPut).model_dump()
    try:
        values["default_country"] = normalize_country(values["default_country"])
    except InvalidValue as exc:
        raise ValidationFailed([FieldError("default_country", str(exc))]) from None
    saved = tenant_settings.put_tenant_settings(
        call.tenant_id, values, expected_version=call.if_match(), by=call.user_id
    )
    return record(saved.to_dict())
