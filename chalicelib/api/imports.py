"""Routes for the import template, the field catalog and import records."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.api.http import Call, Endpoints, page
from chalicelib.api.schemas import Strict
from chalicelib.imports import service
from chalicelib.imports.mapping import saved as saved_mappings

api = Endpoints(__name__, "imports")
OnInvalidValue = Literal["skip_value", "fail_row"]
MatchKey = Literal["import_id", "name", "email", "phone", "customer_number"]
MatchMode = Literal["upsert", "create_only", "update_only"]
BlankCells = Literal["keep", "clear"]
MATCH_ON_DOC = (
    "the keys a customer row is matched to an existing customer by, tried in order (default"
    " [import_id, name]); email ignores case, phone compares E.164 (a customer's phone or mobile)."
    " Not given: the mapping's, else the default"
)
MODE_DOC = (
    "upsert (default): a match is updated, else created; create_only: a match is a row error;"
    " update_only: a row matching nothing is a row error"
)
BLANK_CELLS_DOC = (
    "keep (default): a blank cell changes nothing; clear: a blank cell of a mapped column clears"
    " that field of a matched record (names, Import ID, number, links and required fields are"
    " never cleared)"
)


class MatchRulesBody(Strict):
    match_on: list[MatchKey] | None = Field(default=None, min_length=1, description=MATCH_ON_DOC)
    mode: MatchMode | None = Field(default=None, description=MODE_DOC)
    blank_cells: BlankCells | None = Field(default=None, description=BLANK_CELLS_DOC)


class MatchRulesOut(BaseModel):
    match_on: list[MatchKey] | None = None
    mode: MatchMode | None = None
    blank_cells: BlankCells | None = None


ON_INVALID_VALUE_DOC = (
    "what a bad cell costs: skip_value (the default) writes the row without that value and"
    " warns; fail_row fails the row. Not given: the mapping's, else skip_value"
)


class ImportCreate(MatchRulesBody):
    source: Literal["template", "own_format"] = "template"
    file_name: str = Field(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$")
    dry_run: bool = False
    target: Literal["customers", "contacts", "equipment"] | None = None
    has_headers: bool | None = None
    mapping: dict[str, Any] | None = Field(
        default=None, description="columns → fields (docs/imports-own-format.md); own_format only"
    )
    mapping_id: str | None = None
    save_mapping_as: str | None = Field(default=None, min_length=1, max_length=100)
    sheet: str | None = Field(
        default=None,
        min_length=1,
        max_length=31,
        description="own format, a workbook: the sheet to read (default: the first visible "
        "sheet holding a table; the analysis lists them all)",
    )
    on_invalid_value: OnInvalidValue | None = Field(default=None, description=ON_INVALID_VALUE_DOC)


class ImportStart(MatchRulesBody):
    mapping: dict[str, Any] | None = Field(
        default=None,
        description="columns → fields; the analysis's `mapping` is a ready body (not needed "
        "when `sheet` picks another sheet to analyse)",
    )
    mapping_id: str | None = Field(default=None, description="a saved mapping instead")
    has_headers: bool | None = None
    save_mapping_as: str | None = Field(default=None, min_length=1, max_length=100)
    dry_run: bool | None = None
    sheet: str | None = Field(
        default=None,
        min_length=1,
        max_length=31,
        description="read this sheet instead of the one analysed: without `mapping` it is "
        "analysed and the import waits for its mapping again",
    )
    on_invalid_value: OnInvalidValue | None = Field(default=None, description=ON_INVALID_VALUE_DOC)


class DownloadLink(BaseModel):
    url: str
    expires_at: str


class RowErrorOut(BaseModel):
    sheet: str
    row: int
    column: str
    value: str | int | float | bool | None
    message: str


class TargetCounts(BaseModel):
    created: int
    updated: int
    unchanged: int
    failed: int
    warned: int = Field(
        default=0,
        description="rows written (created, updated or unchanged) with a warning: a value left"
        " out, or possibly the same as another customer; counted beside their outcome, not"
        " instead of it",
    )


class ImportRecord(BaseModel):
    """An import: status, progress, counts per target, the first 100 row errors and warnings."""

    id: str
    source: Literal["template", "own_format"]
    file_name: str
    dry_run: bool
    status: Literal[
        "queued",
        "analyzing",
        "needs_mapping",
        "running",
        "succeeded",
        "completed_with_warnings",
        "completed_with_errors",
        "failed",
        "expired",
    ] = Field(description="expired: no file arrived before the upload link expired (+10 minutes)")
    message: str | None
    rows_total: int
    rows_done: int
    attempts: int = Field(
        default=0,
        description="deliveries that ran it: more than 1 after a crash or a follow-on resumed it",
    )
    counts: dict[str, TargetCounts]
    errors: list[RowErrorOut] = Field(description="the first 100 problems of failed rows")
    errors_total: int
    warnings: list[RowErrorOut] = Field(
        default_factory=list,
        description="the first 100 warnings of rows that were written: values left out"
        " (skip_value) and possible duplicates of new customers",
    )
    warnings_total: int = 0
    on_invalid_value: OnInvalidValue | None = Field(
        default=None, description="the value policy; null until an own-format import is planned"
    )
    match_rules: MatchRulesOut | None = Field(
        default=None,
        description="the match rules given with the import; once planned, those the run used",
    )
    mapping_id: str | None
    target: str | None = None
    sheet: str | None = Field(default=None, description="the workbook sheet chosen, if any")
    analysis: dict[str, Any] | None = Field(
        default=None, description="own format: headers, sample rows, suggestion (needs_mapping)"
    )
    mapping_used: dict[str, Any] | None = Field(
        default=None,
        description='{id, name, matched_by: "given" | "mapping_id" | "headers" | '
        '"error_workbook"}; error_workbook adds import_id, the import whose file this was',
    )
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    results_url: str | None = Field(default=None, description="results.json, when written")
    errors_url: str | None = Field(
        default=None,
        description="errors.xlsx, when rows failed or were warned: their original columns plus"
        " Error and Warning, to fix and upload again",
    )


class PresignedPost(BaseModel):
    url: str
    fields: dict[str, str]
    expires_at: str


class ImportCreated(ImportRecord):
    upload: PresignedPost = Field(description="POST the file as multipart form data, fields first")


class ImportPage(BaseModel):
    items: list[ImportRecord]
    next_cursor: str | None


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
    errors=(422,),
)
def create_import(call: Call):
    body = call.body(ImportCreate)
    return service.start_upload(call.tenant_id, call.user_id, **body.model_dump())


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
