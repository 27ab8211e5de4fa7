"""The change feed route: the tenant's events in order, after a cursor, for partners that poll."""

from __future__ import annotations

from chalicelib.api.http import Call, Endpoints, QueryParam
from chalicelib.lazy import deferred, schemas

api = Endpoints(__name__, "events")
# Models by reference: pydantic loads with the first request that validates (chalicelib/lazy.py).
s = schemas("chalicelib.api.event_schemas")
feed = deferred("chalicelib.events.feed")
EventPage = s.EventPage


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
    return feed.list_events(call.tenant_id, after=call.query("after"), types=types, limit=limit)
