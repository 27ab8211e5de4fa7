"""Routes for exports: queue one, list them, read one's status and download link."""

from __future__ import annotations

from chalicelib.api.http import Call, Endpoints, page
from chalicelib.lazy import deferred, schemas

api = Endpoints(__name__, "exports")
export = deferred("chalicelib.exports.service")
# Models by reference: pydantic loads with the first request that validates (chalicelib/lazy.py).
s = schemas("chalicelib.api.export_schemas")
ExportCreate = s.ExportCreate
ExportRecord = s.ExportRecord
ExportPage = s.ExportPage


@api.route(
    "/exports",
    "POST",
    summary="Export the register as a workbook in the import template's format",
    body=ExportCreate,
    response=ExportRecord,
    status=202,
    errors=(422,),
    body_required=False,
    creates=True,
)
def create_export(call: Call):
    body = call.body(ExportCreate) if call.request.raw_body else ExportCreate()
    return export.request_export(call.tenant_id, call.user_id, body.targets, call.requested_by)


@api.route("/exports", "GET", summary="Exports, newest first", response=ExportPage, paged=True)
def list_exports(call: Call):
    limit, cursor = call.page()
    return page(*export.list_exports(call.tenant_id, limit=limit, cursor=cursor))


@api.route(
    "/exports/{export_id}",
    "GET",
    summary="An export's status and, when done, its download link",
    response=ExportRecord,
    errors=(404,),
)
def get_export(call: Call, export_id: str):
    return export.export_status(call.tenant_id, export_id)
