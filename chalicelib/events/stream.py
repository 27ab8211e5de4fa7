"""The stream handler: a batch of table changes → events in the feed → deliveries queued."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from chalicelib.events.queue import Delivery, send_deliveries
from chalicelib.events.records import ChangeEvent, event_of
from chalicelib.events.subscriptions import subscribed
from chalicelib.settings import get_settings
from chalicelib.store.events import event_item, put_events
from chalicelib.store.webhooks import all_webhooks

log = logging.getLogger("sitebook.events")


def handle_stream_event(event: dict[str, Any]) -> dict[str, int]:
    """Handle one Lambda DynamoDB-stream event; returns counts of events and deliveries.

    The feed write and the queueing are idempotent (event ids come from the stream
    records, deduplication ids from subscription + event), so a batch Lambda retries
    after a failure here writes and sends nothing twice. A record whose image cannot be
    read is logged and skipped: one bad item must not hold up the stream for a day.
    """
    changes = []
    for record in event.get("Records") or []:
        try:
            change = event_of(record)
        except Exception:
            keys = (record.get("dynamodb") or {}).get("Keys")
            log.exception("events: could not read the stream record of %s; skipped", keys)
            continue
        if change is not None:
            changes.append(change)
    if not changes:
        return {"events": 0, "deliveries": 0}
    retention = get_settings().events_retention_days
    put_events(event_item(c.event, c.feed_key, retention) for c in changes)
    deliveries = fan_out(changes)
    sent = send_deliveries(deliveries) if deliveries else 0
    return {"events": len(changes), "deliveries": sent}


def fan_out(changes: list[ChangeEvent]) -> list[Delivery]:
    """Each event for each active subscription of its tenant that wants its type, in order."""
    by_tenant: dict[str, list] = defaultdict(list)
    deliveries = []
    for change in changes:
        tenant = change.tenant_id
        if tenant not in by_tenant:
            by_tenant[tenant] = [w for w in all_webhooks(tenant) if w.active]
        for webhook in by_tenant[tenant]:
            if subscribed(webhook.event_types, change.event["type"]):
                deliveries.append(Delivery(tenant, webhook.id, change.event, change.record_key))
    return deliveries
