"""Routes for saved column mappings of own-format imports."""

from __future__ import annotations

from chalice import Response

from chalicelib.api.http import Call, Endpoints, page, record
from chalicelib.lazy import deferred, schemas

api = Endpoints(__name__, "mappings")
saved_mappings = deferred("chalicelib.imports.mapping.saved")
mappings = deferred("chalicelib.store.mappings")
# Models by reference: pydantic loads with the first request that validates (chalicelib/lazy.py).
s = schemas("chalicelib.api.mapping_schemas")
MappingCreate = s.MappingCreate
MappingChange = s.MappingChange
SavedMapping = s.SavedMapping
MappingPage = s.MappingPage


@api.route("/mappings", "GET", summary="Saved mappings, by name", response=MappingPage, paged=True)
def list_mappings(call: Call):
    limit, cursor = call.page()
    items, nxt = mappings.list_mappings(call.tenant_id, limit=limit, cursor=cursor)
    return page([item.to_dict() for item in items], nxt)


@api.route(
    "/mappings",
    "POST",
    summary="Save a mapping for reuse",
    body=MappingCreate,
    response=SavedMapping,
    status=201,
    errors=(409, 422),
)
def create_mapping(call: Call):
    body = call.body(MappingCreate).model_dump()
    return record(saved_mappings.create_saved(call.tenant_id, body, call.user_id), 201)


@api.route(
    "/mappings/{mapping_id}", "GET", summary="A saved mapping", response=SavedMapping, errors=(404,)
)
def get_mapping(call: Call, mapping_id: str):
    return record(mappings.get_mapping(call.tenant_id, mapping_id).to_dict())


@api.route(
    "/mappings/{mapping_id}",
    "PUT",
    summary="Rename or change a saved mapping",
    body=MappingChange,
    response=SavedMapping,
    errors=(404, 409, 412, 422),
)
def put_mapping(call: Call, mapping_id: str):
    body = call.body(MappingChange).model_dump(exclude_none=True)
    saved = saved_mappings.update_saved(
        call.tenant_id, mapping_id, body, version=call.if_match(), by=call.user_id
    )
    return record(saved)


@api.route(
    "/mappings/{mapping_id}",
    "DELETE",
    summary="Delete a saved mapping",
    status=204,
    errors=(404, 412),
)
def delete_mapping(call: Call, mapping_id: str):
    mappings.delete_mapping(call.tenant_id, mapping_id, expected_version=call.if_match())
    return Response(body="", status_code=204)
