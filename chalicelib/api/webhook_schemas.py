"""Request and response schemas of webhook subscriptions, used to validate and to document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chalicelib.api.schemas import Strict

Url = Field(min_length=1, max_length=2000, description="https (any stage but local), public host")
Types = Field(
    min_length=1,
    max_length=20,
    description="Event types to receive: e.g. customer.updated, customer.* or *",
)


class WebhookCreate(Strict):
    url: str = Url
    event_types: list[str] = Types
    active: bool = True
    description: str | None = Field(default=None, max_length=500)


class WebhookPatch(Strict):
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=20)
    active: bool | None = None
    description: str | None = Field(default=None, max_length=500)


class Webhook(BaseModel):
    """A subscription. ``failing``: a delivery gave up after 24 h of retries (see last_error)."""

    id: str
    url: str
    event_types: list[str]
    active: bool
    description: str | None
    failing: bool
    last_error: str | None
    last_error_at: str | None
    last_success_at: str | None
    previous_secret_expires_at: str | None = Field(
        description="After a rotation: until then deliveries are signed with the old secret too"
    )
    version: int
    created_at: str
    updated_at: str


class WebhookWithSecret(Webhook):
    secret: str = Field(description="Signs deliveries (docs/webhooks.md); shown only this once")


class WebhookPage(BaseModel):
    items: list[Webhook]
    next_cursor: str | None


class WebhookDelivery(BaseModel):
    event_id: str
    event_type: str
    attempt: int
    attempted_at: str
    status_code: int | None
    duration_ms: int
    succeeded: bool
    error: str | None


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDelivery]
    next_cursor: str | None


class PingSent(BaseModel):
    id: str
    type: str
    occurred_at: str
    tenant: str
    data: dict[str, Any]
