"""Routes for webhook subscriptions (admins only): CRUD, secret rotation, deliveries, a ping."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.api.http import Call, Endpoints, page, record
from chalicelib.lazy import deferred, schemas

api = Endpoints(__name__, "webhooks")
subscriptions = deferred("chalicelib.events.subscriptions")
webhooks = deferred("chalicelib.store.webhooks")
# Models by reference: pydantic loads with the first request that validates (chalicelib/lazy.py).
s = schemas("chalicelib.api.webhook_schemas")
WebhookCreate = s.WebhookCreate
WebhookPatch = s.WebhookPatch
Webhook = s.Webhook
WebhookWithSecret = s.WebhookWithSecret
WebhookPage = s.WebhookPage
WebhookDeliveryPage = s.WebhookDeliveryPage
PingSent = s.PingSent


def _patch(call: Call) -> dict[str, Any]:
    changes = call.body(WebhookPatch).model_dump(exclude_unset=True)
    for name in ("url", "event_types", "active"):
        if name in changes and changes[name] is None:
            changes.pop(name)
    return changes


@api.route(
    "/webhooks",
    "POST",
    summary="Subscribe a URL to events; the signing secret is in this answer only",
    body=WebhookCreate,
    response=WebhookWithSecret,
    status=201,
    admin=True,
    errors=(409, 422),
)
def create_webhook(call: Call):
    data = call.body(WebhookCreate).model_dump()
    saved = subscriptions.create_subscription(call.tenant_id, data, call.user_id)
    return record(saved, 201, {"Location": f"/v1/webhooks/{saved['id']}"})


@api.route(
    "/webhooks",
    "GET",
    summary="List webhook subscriptions",
    response=WebhookPage,
    admin=True,
    paged=True,
)
def list_webhooks(call: Call):
    limit, cursor = call.page()
    items, nxt = webhooks.list_webhooks(call.tenant_id, limit=limit, cursor=cursor)
    return page([item.to_record() for item in items], nxt)


@api.route(
    "/webhooks/{webhook_id}",
    "GET",
    summary="Read a webhook subscription",
    response=Webhook,
    admin=True,
    errors=(404,),
)
def get_webhook(call: Call, webhook_id: str):
    return record(webhooks.get_webhook(call.tenant_id, webhook_id).to_record())


@api.route(
    "/webhooks/{webhook_id}",
    "PATCH",
    summary="Change a subscription's URL, event types, active flag or description",
    body=WebhookPatch,
    response=Webhook,
    admin=True,
    errors=(404, 412, 422),
)
def patch_webhook(call: Call, webhook_id: str):
    saved = subscriptions.update_subscription(
        call.tenant_id, webhook_id, _patch(call), expected_version=call.if_match(), by=call.user_id
    )
    return record(saved)


@api.route(
    "/webhooks/{webhook_id}",
    "DELETE",
    summary="Remove a subscription (its queued deliveries are dropped)",
    status=204,
    admin=True,
    errors=(404, 412),
)
def delete_webhook(call: Call, webhook_id: str):
    webhooks.delete_webhook(call.tenant_id, webhook_id, expected_version=call.if_match())
    return Response(body="", status_code=204)


@api.route(
    "/webhooks/{webhook_id}/rotate-secret",
    "POST",
    summary="Issue a new signing secret; the old one also signs for 24 hours",
    response=WebhookWithSecret,
    admin=True,
    errors=(404, 412),
)
def rotate_secret(call: Call, webhook_id: str):
    saved = subscriptions.rotate_secret(
        call.tenant_id, webhook_id, expected_version=call.if_match(), by=call.user_id
    )
    return record(saved)


@api.route(
    "/webhooks/{webhook_id}/test",
    "POST",
    summary="Send a ping event to the subscription's URL (delivered like any event)",
    response=PingSent,
    status=202,
    admin=True,
    errors=(404,),
)
def send_ping(call: Call, webhook_id: str):
    return subscriptions.send_ping(call.tenant_id, webhook_id)


@api.route(
    "/webhooks/{webhook_id}/deliveries",
    "GET",
    summary="Recent delivery attempts, newest first (kept 30 days)",
    response=WebhookDeliveryPage,
    admin=True,
    paged=True,
    errors=(404,),
)
def list_deliveries(call: Call, webhook_id: str):
    limit, cursor = call.page()
    items, nxt = webhooks.list_deliveries(call.tenant_id, webhook_id, limit=limit, cursor=cursor)
    return page(items, nxt)
