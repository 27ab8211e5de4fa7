"""Webhook subscriptions' use cases: create, change, rotate the secret, remove, send a ping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.events.queue import Delivery, send_deliveries
from chalicelib.events.records import EVENT_TYPES
from chalicelib.events.signing import new_secret
from chalicelib.events.urls import UnsafeUrl, check_url
from chalicelib.store import webhooks
from chalicelib.store.base import new_id, now_iso

ROTATION_OVERLAP = timedelta(hours=24)
PING = "ping"


def subscribed(event_types: list[str], event_type: str) -> bool:
    """Whether a subscription's types (exact, ``customer.*`` or ``*``) take ``event_type``."""
    kind = event_type.split(".", 1)[0]
    return any(t in ("*", event_type, f"{kind}.*") for t in event_types)


def valid_event_types(types: list[str], field: str = "event_types") -> list[str]:
    """The types, checked against the catalog (``EVENT_TYPES``, ``<kind>.*``, ``*``)."""
    kinds = {t.split(".", 1)[0] for t in EVENT_TYPES}
    known = {*EVENT_TYPES, "*", *(f"{k}.*" for k in kinds)}
    unknown = [t for t in types if t not in known]
    if unknown:
        raise ValidationFailed(
            [FieldError(field, f"'{unknown[0]}' is not an event type; use one of {sorted(known)}")]
        )
    return list(dict.fromkeys(types))


def _vetted_url(url: str) -> str:
    try:
        check_url(url)
    except UnsafeUrl as exc:
        raise ValidationFailed([FieldError("url", str(exc))]) from None
    return url


def create_subscription(tenant_id: str, data: dict[str, Any], by: str | None) -> dict[str, Any]:
    """Store a subscription; the result carries ``secret``, shown this once."""
    secret = new_secret()
    values = {
        "url": _vetted_url(data["url"]),
        "event_types": valid_event_types(data["event_types"]),
        "active": data.get("active", True),
        "description": data.get("description"),
        "secret": secret,
    }
    item = webhooks.create_webhook(tenant_id, new_id(), values, by)
    return {**item.to_record(), "secret": secret}


def update_subscription(
    tenant_id: str, webhook_id: str, changes: dict[str, Any], *, expected_version, by
) -> dict[str, Any]:
    if "url" in changes:
        changes["url"] = _vetted_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = valid_event_types(changes["event_types"])
    item = webhooks.update_webhook(
        tenant_id, webhook_id, changes, expected_version=expected_version, by=by
    )
    return item.to_record()


def rotate_secret(
    tenant_id: str, webhook_id: str, *, expected_version, by, now: datetime | None = None
) -> dict[str, Any]:
    """A new secret (returned this once); the old one keeps signing for 24 hours."""
    item = webhooks.get_webhook(tenant_id, webhook_id)
    secret = new_secret()
    expires = (now or datetime.now(UTC)) + ROTATION_OVERLAP
    changes = {
        "secret": secret,
        "previous_secret": item.secret,
        "previous_secret_expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    item = webhooks.update_webhook(
        tenant_id, webhook_id, changes, expected_version=expected_version, by=by
    )
    return {**item.to_record(), "secret": secret}


def send_ping(tenant_id: str, webhook_id: str) -> dict[str, Any]:
    """Queue a ``ping`` event for this subscription alone (active or not); returns the event."""
    item = webhooks.get_webhook(tenant_id, webhook_id)
    event = {
        "id": f"evt_ping_{uuid.uuid4().hex}",
        "type": PING,
        "occurred_at": now_iso(),
        "tenant": tenant_id,
        "data": {"webhook_id": item.id, "url": item.url},
    }
    send_deliveries([Delivery(tenant_id, item.id, event, f"ping:{item.id}")])
    return event
