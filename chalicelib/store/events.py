"""The change feed in the table: one item per event, in a tenant partition sorted by feed key."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.domain.errors import BadRequest
from chalicelib.store.base import TableModel, bind

MAX_READ = 1000  # feed items read per page at most, however few match the types asked for


class EventItem(TableModel):
    """One event: pk ``<tenant>#EVENTS``, sk its feed key ``<occurred_at>#<sequence>``.

    ``expires_at`` is the table's TTL attribute: DynamoDB removes the item after the
    retention (30 days) by itself, at no write cost.
    """

    id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    event = JSONAttribute()
    expires_at = TTLAttribute(null=True)


def events_pk(tenant_id: str) -> str:
    return f"{tenant_id}#EVENTS"


def event_item(event: dict[str, Any], feed_key: str, retention_days: int) -> EventItem:
    """The feed item of an event (``{id, type, occurred_at, tenant, data}``)."""
    occurred = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
    return EventItem(
        events_pk(event["tenant"]),
        feed_key,
        entity="event",
        id=event["id"],
        event_type=event["type"],
        event=event,
        expires_at=occurred + timedelta(days=retention_days),
    )


def put_events(items: Iterable[EventItem]) -> int:
    """Write feed items in batches of 25; a redelivered stream batch rewrites the same items."""
    bind()
    count = 0
    with EventItem.batch_write() as batch:
        for item in items:
            batch.save(item)
            count += 1
    return count


# --- reading the feed ------------------------------------------------------------


def encode_position(feed_key: str) -> str:
    raw = json.dumps({"after": feed_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str | None) -> str | None:
    """The feed key a cursor stands after; BadRequest when it is not one this API gave."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not valid; start again without it.") from exc
    key = data.get("after") if isinstance(data, dict) else None
    if not isinstance(key, str) or "#" not in key:
        raise BadRequest("The cursor is not valid; start again without it.")
    return key


def read_feed(
    tenant_id: str,
    *,
    after: str | None,
    until: str,
    limit: int,
    wanted: Callable[[str], bool],
) -> tuple[list[dict[str, Any]], str | None, bool]:
    """Events after the key ``after`` and before ``until``, oldest first, of the wanted types.

    One Query on the tenant's feed partition (``sk > after``); types are checked on the
    items read, at most ``MAX_READ`` of them. Returns the events, the feed key of the last
    item read (the next page starts after it, so skipped items are not read again) and
    whether more may follow at once.
    """
    bind()
    condition = EventItem.sk > after if after else None
    page_size = min(max(limit + 1, 25), 200)
    results = EventItem.query(events_pk(tenant_id), condition, page_size=page_size)
    found: list[dict[str, Any]] = []
    position = after
    for read, item in enumerate(results, start=1):
        if item.sk >= until:
            return found, position, False
        position = item.sk
        if wanted(item.event_type):
            found.append(item.event)
        if len(found) >= limit or read >= MAX_READ:
            return found, position, True
    return found, position, False


def feed_horizon(settle_seconds: int, now: datetime | None = None) -> str:
    """The feed key before which every event has been written (see docs/decisions/events.md)."""
    moment = (now or datetime.now(UTC)) - timedelta(seconds=settle_seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
