"""Routes for exports: queue one, list them, read one's status and download link."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.api.http import Call, Endpoints, page
from chalicelib.api.schemas import Strict
from chalicelib.exports import service as export

api = Endpoints(__name__, "exports")

Target = Literal["customers", "sites", "contacts", "equipment"]


class ExportCreate(Strict):
    targets: list[Target] | None = Field(
        default=None, min_length=1, description="Sheets to write; all four when omitted"
    )


class ExportRecord(BaseModel):
    """An export: its status, rows written per target and, when done, a download link."""

    id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    message: str | None
    targets: list[Target]
    counts: dict[str, int]
    file_name: str
    created_at: str
    updated_at: str
    finished_at: str | None
    url: str | None = Field(default=None, description="Presigned download of the workbook")
    expires_at: str | None = None


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
    return export.request_export(call.tenant_id, call.user_id, body.targets)


class ExportPage(BaseModel):
    items: list[ExportRecord]
    next_cursor: str | None


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
