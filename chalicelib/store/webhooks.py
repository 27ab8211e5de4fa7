"""Webhook subscriptions and their delivery attempts in the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import UpdateError

from chalicelib.domain.errors import Conflict
from chalicelib.store.base import TableModel, VersionedModel, bind, now_iso, query_page
from chalicelib.store.records import conditional_failed, get_or_404, version_matches

MAX_SUBSCRIPTIONS = 20  # per tenant: each one multiplies every event's deliveries
DELIVERY_LOG_DAYS = 30


class WebhookItem(VersionedModel):
    """A subscription: pk ``<tenant>#WEBHOOK``, sk ``<id>``.

    ``secret`` signs deliveries; after a rotation ``previous_secret`` signs too until
    ``previous_secret_expires_at``. Neither is ever returned by a read.
    """

    id = UnicodeAttribute()
    url = UnicodeAttribute()
    event_types = JSONAttribute(default=list)
    active = BooleanAttribute(default=True)
    description = UnicodeAttribute(null=True)
    secret = UnicodeAttribute()
    previous_secret = UnicodeAttribute(null=True)
    previous_secret_expires_at = UnicodeAttribute(null=True)
    failing = BooleanAttribute(default=False)
    last_error = UnicodeAttribute(null=True)
    last_error_at = UnicodeAttribute(null=True)
    last_success_at = UnicodeAttribute(null=True)

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "event_types": list(self.event_types or []),
            "active": bool(self.active),
            "description": self.description,
            "failing": bool(self.failing),
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "last_success_at": self.last_success_at,
            "previous_secret_expires_at": self.previous_secret_expires_at,
            "version": int(self.version),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """The secrets that sign a delivery now: the current one, the previous within its 24 h."""
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at:
            expires = datetime.fromisoformat(self.previous_secret_expires_at.replace("Z", "+00:00"))
            if (now or datetime.now(UTC)) < expires:
                secrets.append(self.previous_secret)
        return secrets


class DeliveryItem(TableModel):
    """One delivery attempt: pk ``<tenant>#WEBHOOK#<id>#DELIVERIES``, sk ``<at>#<event id>#<n>``."""

    webhook_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    attempt = NumberAttribute()
    attempted_at = UnicodeAttribute()
    status_code = NumberAttribute(null=True)
    duration_ms = NumberAttribute()
    error = UnicodeAttribute(null=True)
    succeeded = BooleanAttribute()
    expires_at = TTLAttribute(null=True)

    def to_record(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "attempt": int(self.attempt),
            "attempted_at": self.attempted_at,
            "status_code": int(self.status_code) if self.status_code is not None else None,
            "duration_ms": int(self.duration_ms),
            "succeeded": bool(self.succeeded),
            "error": self.error,
        }


def _pk(tenant_id: str) -> str:
    return f"{tenant_id}#WEBHOOK"


def _deliveries_pk(tenant_id: str, webhook_id: str) -> str:
    return f"{tenant_id}#WEBHOOK#{webhook_id}#DELIVERIES"


def get_webhook(tenant_id: str, webhook_id: str) -> WebhookItem:
    return get_or_404(WebhookItem, _pk(tenant_id), webhook_id, "webhook")


def find_webhook(tenant_id: str, webhook_id: str) -> WebhookItem | None:
    bind()
    try:
        return WebhookItem.get(_pk(tenant_id), webhook_id, consistent_read=True)
    except WebhookItem.DoesNotExist:
        return None


def all_webhooks(tenant_id: str) -> list[WebhookItem]:
    """Every subscription of the tenant (at most MAX_SUBSCRIPTIONS): one Query."""
    bind()
    return list(WebhookItem.query(_pk(tenant_id)))


def list_webhooks(
    tenant_id: str, *, limit: int, cursor: str | None
) -> tuple[list[WebhookItem], str | None]:
    bind()
    pk = _pk(tenant_id)
    return query_page(
        lambda **kw: WebhookItem.query(pk, **kw), limit=limit, cursor=cursor, partition=("pk", pk)
    )


def create_webhook(tenant_id: str, webhook_id: str, values: dict[str, Any], by: str | None):
    """Store a new subscription (``values``: url, event_types, active, description, secret)."""
    bind()
    if len(all_webhooks(tenant_id)) >= MAX_SUBSCRIPTIONS:
        raise Conflict(f"An account can have at most {MAX_SUBSCRIPTIONS} webhooks.")
    now = now_iso()
    item = WebhookItem(
        _pk(tenant_id),
        webhook_id,
        entity="webhook",
        id=webhook_id,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
        **values,
    )
    item.save(condition=WebhookItem.pk.does_not_exist())
    return item


def update_webhook(
    tenant_id: str,
    webhook_id: str,
    changes: dict[str, Any],
    *,
    expected_version: int | None,
    by: str | None,
) -> WebhookItem:
    """Apply changes on condition of the version read (If-Match honoured); 412 when stale."""
    item = get_webhook(tenant_id, webhook_id)
    version_matches(item, expected_version)
    current = item.version
    actions = [
        getattr(WebhookItem, name).remove()
        if value is None
        else getattr(WebhookItem, name).set(value)
        for name, value in changes.items()
    ]
    actions += [
        WebhookItem.version.set(current + 1),
        WebhookItem.updated_at.set(now_iso()),
        WebhookItem.updated_by.set(by),
    ]
    try:
        item.update(actions=actions, condition=WebhookItem.version == current)
    except UpdateError as exc:
        if conditional_failed(exc):
            version_matches(get_webhook(tenant_id, webhook_id), current)
        raise
    return item


def delete_webhook(tenant_id: str, webhook_id: str, *, expected_version: int | None) -> None:
    item = get_webhook(tenant_id, webhook_id)
    version_matches(item, expected_version)
    item.delete(condition=WebhookItem.version == item.version)


def note_failure(item: WebhookItem, error: str, *, failing: bool) -> None:
    """Keep the last error; ``failing`` once a delivery gave up (cleared by the next success)."""
    actions = [WebhookItem.last_error.set(error[:500]), WebhookItem.last_error_at.set(now_iso())]
    if failing:
        actions.append(WebhookItem.failing.set(True))
    _update_if_present(item, actions)


def note_success(item: WebhookItem) -> None:
    _update_if_present(
        item, [WebhookItem.failing.set(False), WebhookItem.last_success_at.set(now_iso())]
    )


def _update_if_present(item: WebhookItem, actions: list) -> None:
    # Bookkeeping, not an edit: the version stays, and a subscription deleted meanwhile stays so.
    bind()
    try:
        item.update(actions=actions, condition=WebhookItem.pk.exists())
    except UpdateError as exc:
        if not conditional_failed(exc):
            raise


def record_attempt(
    tenant_id: str,
    webhook_id: str,
    *,
    event: dict[str, Any],
    attempt: int,
    status_code: int | None,
    duration_ms: int,
    error: str | None,
    succeeded: bool,
) -> None:
    """Log one delivery attempt (kept DELIVERY_LOG_DAYS by TTL)."""
    bind()
    now = now_iso()
    DeliveryItem(
        _deliveries_pk(tenant_id, webhook_id),
        f"{now}#{event['id']}#{attempt}",
        entity="webhook_delivery",
        webhook_id=webhook_id,
        event_id=event["id"],
        event_type=event["type"],
        attempt=attempt,
        attempted_at=now,
        status_code=status_code,
        duration_ms=duration_ms,
        error=error[:500] if error else None,
        succeeded=succeeded,
        expires_at=datetime.now(UTC) + timedelta(days=DELIVERY_LOG_DAYS),
    ).save()


def list_deliveries(
    tenant_id: str, webhook_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Attempts of one subscription, newest first."""
    get_webhook(tenant_id, webhook_id)
    pk = _deliveries_pk(tenant_id, webhook_id)
    items, nxt = query_page(
        lambda **kw: DeliveryItem.query(pk, scan_index_forward=False, **kw),
        limit=limit,
        cursor=cursor,
        partition=("pk", pk),
    )
    return [item.to_record() for item in items], nxt
