"""Reading the change feed: a page of events after an opaque cursor, filtered by type."""

from __future__ import annotations

from typing import Any

from chalicelib.events.subscriptions import subscribed, valid_event_types
from chalicelib.settings import get_settings
from chalicelib.store.events import decode_position, encode_position, feed_horizon, read_feed


def list_events(
    tenant_id: str, *, after: str | None, types: list[str], limit: int
) -> dict[str, Any]:
    """``{items, next_cursor, has_more}``: events after the cursor, oldest first.

    ``next_cursor`` is always given, so a partner keeps it and polls with it later. Only
    events older than the settle time (a few seconds) are listed, so an event the stream
    writes a moment late still lands after every cursor already handed out.
    """
    wanted_types = valid_event_types(types, "types") if types else []
    position = decode_position(after)
    events, last, more = read_feed(
        tenant_id,
        after=position,
        until=feed_horizon(get_settings().events_settle_seconds),
        limit=limit,
        wanted=lambda t: not wanted_types or subscribed(wanted_types, t),
    )
    cursor = encode_position(last) if last else (after or encode_position("0#"))
    return {"items": events, "next_cursor": cursor, "has_more": more}
