"""The change feed route: the tenant's events in order, after a cursor, for partners that poll."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chalicelib.api.http import Call, Endpoints, QueryParam
from chalicelib.events.feed import list_events

api = Endpoints(__name__, "events")


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


@api.route(
    "/events",
    "GET",
    summary="The change feed: the tenant's events of the last 30 days, oldest first",
    response=EventPage,
    query=(
        QueryParam("after", "The next_cursor of the previous page; omitted: the oldest kept."),
        QueryParam("types", "Comma-separated event types, e.g. customer.*,contact.created."),
        QueryParam("limit", "Page size, 1 to 200 (default 50).", "integer"),
    ),
    errors=(400, 422),
)
def list_feed(call: Call):
    limit, _ = call.page()
    types = [t.strip() for t in (call.query("types") or "").split(",") if t.strip()]
    return list_events(call.tenant_id, after=call.query("after"), types=types, limit=limit)
