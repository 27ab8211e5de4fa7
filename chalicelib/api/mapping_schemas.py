"""Request and response schemas of saved mappings, used to validate and to document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.api.schemas import PLAIN_NAME, Strict

Target = Literal["customers", "contacts", "equipment"]


class MappingCreate(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=PLAIN_NAME)
    target: Target | None = None
    headers: list[str] = Field(min_length=1, description="the file's column headers")
    mapping: dict[str, Any] = Field(description="columns → fields, as in imports")


class MappingChange(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=PLAIN_NAME)
    target: Target | None = None
    headers: list[str] | None = None
    mapping: dict[str, Any] | None = None


class SavedMapping(BaseModel):
    id: str
    name: str
    target: str
    mapping: dict[str, Any]
    headers: list[str]
    headers_signature: str
    version: int
    created_at: str
    updated_at: str


class MappingPage(BaseModel):
    items: list[SavedMapping]
    next_cursor: str | None
