"""Routes for health, the OpenAPI document, lookups, users and settings."""

from __future__ import annotations

from chalicelib.api.http import Call, Endpoints, QueryParam, page, record
from chalicelib.domain.lookups import LIST_ORDERS, LOOKUP_KINDS
from chalicelib.lazy import deferred, schemas

api = Endpoints(__name__, "platform")
# Services and models by reference: each loads with the first request that uses it (lazy.py).
s = schemas("chalicelib.api.schemas")
lookups = deferred("chalicelib.services.lookups")
settings = deferred("chalicelib.services.settings")
users = deferred("chalicelib.services.users")
ACTIVE = QueryParam("active", "Only active (true) or archived (false) items.", "boolean")
KIND_ENUM = tuple(LOOKUP_KINDS)
LOOKUP_SORT = QueryParam(
    "sort", "due_days for payment terms, name for the other kinds (others: 422).", enum=LIST_ORDERS
)


@api.route("/health", "GET", summary="Liveness check", response=s.Health, public=True)
def health(call: Call):
    return {"status": "ok"}


@api.route("/openapi.json", "GET", summary="This API's OpenAPI 3.1 document", public=True)
def openapi(call: Call):
    from chalicelib.api.openapi import openapi_document

    return openapi_document()


# --- lookups -------------------------------------------------------------------


@api.route(
    "/lookups/{kind}",
    "GET",
    summary="List a lookup list: payment terms by due days, the others by name",
    response=s.LookupPage,
    query=(ACTIVE, LOOKUP_SORT),
    paged=True,
    errors=(404, 422),
)
def list_lookups(call: Call, kind: str):
    limit, cursor = call.page()
    items, nxt = lookups.list_lookups(
        call.tenant_id,
        kind,
        limit=limit,
        cursor=cursor,
        active=call.query_bool("active"),
        sort=call.sort(LOOKUP_SORT.enum),
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
    values = call.body(s.LookupCreate).model_dump()
    item = lookups.create_lookup(
        call.tenant_id, kind, values, by=call.user_id, is_admin=call.caller.is_admin
    )
    return record(item.to_dict(), 201)


@api.route(
    "/lookups/{kind}/{lookup_id}",
    "GET",
    summary="Read a lookup item",
    response=s.Lookup,
    errors=(404,),
)
def get_lookup(call: Call, kind: str, lookup_id: str):
    return record(lookups.get_lookup(call.tenant_id, kind, lookup_id).to_dict())


@api.route(
    "/lookups/{kind}/{lookup_id}",
    "PATCH",
    summary="Change a lookup item",
    body=s.LookupPatch,
    response=s.Lookup,
    errors=(403, 404, 409, 412, 422),
)
def patch_lookup(call: Call, kind: str, lookup_id: str):
    changes = call.body(s.LookupPatch).model_dump(exclude_unset=True)
    item = lookups.update_lookup(
        call.tenant_id,
        kind,
        lookup_id,
        changes,
        expected_version=call.if_match(),
        by=call.user_id,
        is_admin=call.caller.is_admin,
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
    item = lookups.archive_lookup(
        call.tenant_id,
        kind,
        lookup_id,
        expected_version=call.if_match(),
        by=call.user_id,
        is_admin=call.caller.is_admin,
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
    item = users.update_user(
        call.tenant_id, user_id, changes, expected_version=call.if_match(), by=call.user_id
    )
    return record(item.to_dict())


# --- settings ------------------------------------------------------------------


@api.route("/settings", "GET", summary="Read the account's settings", response=s.Settings)
def get_settings(call: Call):
    return record(settings.get_settings(call.tenant_id).to_dict())


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
    values = call.body(s.SettingsPut).model_dump()
    saved = settings.put_settings(
        call.tenant_id, values, expected_version=call.if_match(), by=call.user_id
    )
    return record(saved.to_dict())
