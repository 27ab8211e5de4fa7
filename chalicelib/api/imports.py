"""Routes for the import template, the field catalog and import records."""

from __future__ import annotations

from chalicelib.api.http import Call, Endpoints, QueryParam, page
from chalicelib.lazy import deferred, schemas

api = Endpoints(__name__, "imports")
service = deferred("chalicelib.imports.service")
saved_mappings = deferred("chalicelib.imports.mapping.saved")
# Models by reference: pydantic loads with the first request that validates (chalicelib/lazy.py).
s = schemas("chalicelib.api.import_schemas")
ImportCreate = s.ImportCreate
ImportStart = s.ImportStart
DownloadLink = s.DownloadLink
ImportRecord = s.ImportRecord
ImportCreated = s.ImportCreated
ImportPage = s.ImportPage
LedgerPage = s.LedgerPage
UndoRequest = s.UndoRequest


@api.route(
    "/imports/template",
    "GET",
    summary="Download link of the import template workbook",
    response=DownloadLink,
)
def template(call: Call):
    return service.template_link(call.tenant_id)


@api.route("/imports/fields", "GET", summary="Importable fields per target")
def fields(call: Call):
    return service.field_catalog(call.tenant_id)


@api.route(
    "/imports",
    "POST",
    summary="Create an import and get a presigned POST for its file",
    body=ImportCreate,
    response=ImportCreated,
    status=201,
    errors=(404, 422),  # 404: a mapping_id of no saved mapping
)
def create_import(call: Call):
    body = call.body(ImportCreate)
    return service.start_upload(
        call.tenant_id, call.user_id, requested_by=call.requested_by, **body.model_dump()
    )


@api.route("/imports", "GET", summary="Imports, newest first", response=ImportPage, paged=True)
def list_imports(call: Call):
    limit, cursor = call.page()
    items, nxt = service.list_imports(call.tenant_id, limit=limit, cursor=cursor)
    return page(items, nxt)


@api.route(
    "/imports/{import_id}",
    "GET",
    summary="An import's status, progress, counts, first errors and result links",
    response=ImportRecord,
    errors=(404,),
)
def get_import(call: Call, import_id: str):
    return service.import_status(call.tenant_id, import_id)


@api.route(
    "/imports/{import_id}/start",
    "POST",
    summary="Run an own-format import that waits for its mapping (given, or saved by id)",
    body=ImportStart,
    response=ImportRecord,
    status=202,
    errors=(404, 409, 422),
)
def start_import(call: Call, import_id: str):
    body = call.body(ImportStart)
    return saved_mappings.start_import(
        call.tenant_id, import_id, by=call.user_id, **body.model_dump()
    )


OUTCOME = QueryParam(
    "outcome",
    "Only rows of this outcome (warned: rows written without some values).",
    enum=("created", "updated", "unchanged", "failed", "warned"),
)


@api.route(
    "/imports/{import_id}/rows",
    "GET",
    summary="The import's per-row ledger, in file order",
    response=LedgerPage,
    query=(OUTCOME,),
    paged=True,
    errors=(404, 422),
)
def import_rows(call: Call, import_id: str):
    limit, cursor = call.page()
    items, nxt = service.ledger_rows(
        call.tenant_id, import_id, outcome=call.query("outcome"), limit=limit, cursor=cursor
    )
    return page(items, nxt)


@api.route(
    "/imports/{import_id}/undo",
    "POST",
    summary="Revert what a finished import did (a queued job; conflicts are kept and reported)",
    body=UndoRequest,
    body_required=False,
    response=ImportRecord,
    status=202,
    admin=True,
    errors=(403, 404, 409, 422),
)
def undo_import(call: Call, import_id: str):
    from chalicelib.imports.undo.request import request_undo

    body = call.body(UndoRequest) if call.request.raw_body else UndoRequest()
    return request_undo(
        call.tenant_id, import_id, by=call.user_id, dry_run=body.dry_run, force=body.force
    )
