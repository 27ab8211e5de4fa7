"""Request and response schemas of exports, used to validate and to document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.api.schemas import RequestedBy, Strict

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
    requested_by: RequestedBy | None = None
    created_at: str
    updated_at: str
    finished_at: str | None
    url: str | None = Field(default=None, description="Presigned download of the workbook")
    expires_at: str | None = None


class ExportPage(BaseModel):
    items: list[ExportRecord]
    next_cursor: str | None
