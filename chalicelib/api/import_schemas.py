"""Request and response schemas of imports, used to validate and to document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.api.schemas import FILE_NAME, RequestedBy, Strict
from chalicelib.domain.import_status import ImportStatus

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
    file_name: str = Field(
        min_length=1,
        max_length=200,
        pattern=FILE_NAME,
        description="the file's own name, without folders; quotes, control and format "
        "characters (bidi overrides, zero-width) are dropped from it",
    )
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
        description="rows written (created, updated or unchanged) without some of their values;"
        " counted beside their outcome, not instead of it",
    )


class ImportRecord(BaseModel):
    """An import: status, progress, counts per target, the first 100 row errors and warnings."""

    id: str
    source: Literal["template", "own_format"]
    file_name: str
    dry_run: bool
    status: ImportStatus = Field(
        description="expired: no file arrived before the upload link expired (+10 minutes); "
        "undoing/undone: POST /v1/imports/{id}/undo is reverting it / has reverted it"
    )
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
        description="the first 100 values left out of rows that were written (skip_value)",
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
    requested_by: RequestedBy | None = None
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    undo: dict[str, Any] | None = Field(
        default=None,
        description="the last undo asked for: {dry_run, force, status: queued | running | done |"
        " failed, planned, counts: {entity: {removed, restored, conflicts, already_undone}},"
        " conflicts (the first 100: entity, id, sheet, row, reason, fields that differ),"
        " conflicts_total}",
    )
    undo_url: str | None = Field(
        default=None, description="undo.json, every conflict of the undo, once planned"
    )
    rows_url: str = Field(default="", description="the per-row ledger: GET /v1/imports/{id}/rows")
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


class RowProblem(BaseModel):
    """A problem of one ledger row: the column, its value and why (the row is given)."""

    column: str
    value: str | int | float | bool | None
    message: str


class LedgerRow(BaseModel):
    """What an import did with one row."""

    sheet: str
    row: int
    target: str
    entity: Literal["customer", "contact", "equipment"]
    outcome: Literal["created", "updated", "unchanged", "failed"]
    warned: bool = Field(description="written without some of its values (see warnings)")
    record_id: str | None
    customer_id: str | None = Field(
        description="a contact's or equipment's customer; a customer's billing customer"
    )
    version: int | None = Field(description="the record's version once the import wrote it")
    changes: dict[str, dict[str, Any]] = Field(
        description="field → {before, after}: every field a created or updated row set"
    )
    errors: list[RowProblem]
    warnings: list[RowProblem]
    also: list[dict[str, Any]] = Field(
        default_factory=list,
        description="other records the row changed (a default contact it took over from)",
    )


class LedgerPage(BaseModel):
    items: list[LedgerRow]
    next_cursor: str | None


class UndoRequest(Strict):
    dry_run: bool = Field(default=False, description="report what the undo would do; write nothing")
    force: bool = Field(
        default=False,
        description="undo even when a later import changed the same records (they are kept and "
        "reported as conflicts)",
    )
