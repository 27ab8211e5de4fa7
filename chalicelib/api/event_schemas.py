"""The change feed's response schemas, used to document the route."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class EventData(BaseModel):
    record: dict[str, Any] = Field(description="The record after the change (before, if deleted)")
    changed_fields: list[str]
    previous: dict[str, Any] | None = Field(
        default=None, description="updated/archived: the changed fields' values before"
    )


class Event(BaseModel):
    id: str
    type: str
    occurred_at: str
    tenant: str
    data: EventData


class EventPage(BaseModel):
    items: list[Event]
    next_cursor: str = Field(description="Send as ?after= to continue, now or on a later poll")
    has_more: bool = Field(description="More events can be read at once")
