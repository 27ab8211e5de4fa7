"""The delivery handler: POSTs one queued event to its subscriber, signed; retries with backoff.

A 2xx answer ends the delivery. Anything else (another status, a redirect, a timeout, an
address that is no longer allowed) is an attempt that failed: the message is hidden for
``min(base · 2^(attempt-1), cap)`` seconds (the last wait ends with the window) and reported
as a batch item failure, so SQS hands it back then. When a try fails at the end of the retry
window (24 h after the first), the message goes to the dead-letter queue and the subscription
is marked failing with the last error. Attempts are counted by SQS (ApproximateReceiveCount).
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.aws import client
from chalicelib.events.queue import Delivery
from chalicelib.events.signing import HEADER, signature_header
from chalicelib.events.subscriptions import PING
from chalicelib.events.urls import Target, UnsafeUrl, check_url
from chalicelib.observability import count
from chalicelib.settings import Settings, get_settings
from chalicelib.store import webhooks

log = logging.getLogger("sitebook.events")
USER_AGENT = "Sitebook-Webhooks/1"


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay(attempt: int, settings: Settings) -> int:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    base = max(1, settings.webhook_retry_base_seconds)
    return min(base * 2 ** min(attempt - 1, 30), settings.webhook_retry_cap_seconds)


def next_retry(attempt: int, first_at: float, now: float, settings: Settings) -> int | None:
    """Seconds until the next try after failed attempt ``attempt``; None once the window is over.

    The last wait is shortened to end with the window, so the final try comes 24 h after
    the first (with the defaults: 13 tries, 30 s apart at first, at most 12 h).
    """
    remaining = first_at + settings.webhook_retry_window_seconds - now
    if remaining < 1:
        return None
    return min(retry_delay(attempt, settings), int(remaining))


def handle_delivery_event(event: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Handle a Lambda SQS event of the delivery queue; returns Lambda's partial-batch answer.

    The function is configured with batch size 1 and ``ReportBatchItemFailures``:
    the messages listed stay on the queue (hidden for their backoff), the rest are deleted.
    """
    failures = []
    for record in event.get("Records") or []:
        if not deliver_record(record):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def deliver_record(record: dict[str, Any], settings: Settings | None = None) -> bool:
    """Deliver one SQS record; True when it is done with (delivered, dropped or dead-lettered)."""
    settings = settings or get_settings()
    delivery = Delivery.from_body(record["body"])
    event = delivery.event
    subscription = webhooks.find_webhook(delivery.tenant_id, delivery.webhook_id)
    if subscription is None or (not subscription.active and event["type"] != PING):
        log.info("webhooks: %s for a removed or inactive subscription dropped", event["id"])
        return True
    attributes = record.get("attributes") or {}
    attempt_number = int(attributes.get("ApproximateReceiveCount") or 1)
    attempt = post(subscription.url, event, subscription.signing_secrets(), settings)
    count("WebhookDeliveries", 1)
    if not attempt.succeeded:
        count("WebhookDeliveryFailures", 1)
    webhooks.record_attempt(
        delivery.tenant_id,
        delivery.webhook_id,
        event=event,
        attempt=attempt_number,
        status_code=attempt.status_code,
        duration_ms=attempt.duration_ms,
        error=attempt.error,
        succeeded=attempt.succeeded,
    )
    if attempt.succeeded:
        if subscription.failing:
            webhooks.note_success(subscription)
        return True
    first = attributes.get("ApproximateFirstReceiveTimestamp") or attributes.get("SentTimestamp")
    delay = next_retry(
        attempt_number, int(first) / 1000 if first else time.time(), time.time(), settings
    )
    if delay is None:
        _dead_letter(record, attempt, settings)
        webhooks.note_failure(subscription, attempt.error or "failed", failing=True)
        return True
    webhooks.note_failure(subscription, attempt.error or "failed", failing=False)
    client("sqs").change_message_visibility(
        QueueUrl=settings.webhook_queue_url,
        ReceiptHandle=record["receiptHandle"],
        VisibilityTimeout=delay,
    )
    return False


def post(url: str, event: dict[str, Any], secrets: list[str], settings: Settings) -> Attempt:
    """One signed POST of ``event``; never follows redirects; errors become the Attempt's."""
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Sitebook-Event-Id": event["id"],
        "Sitebook-Event-Type": event["type"],
        HEADER: signature_header(secrets, body),
    }
    started = time.monotonic()
    try:
        target = check_url(url)
        connection = _connection(target, settings.webhook_timeout_seconds)
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            excerpt = response.read(300).decode("utf-8", "replace").strip()
        finally:
            connection.close()
    except UnsafeUrl as exc:
        return Attempt(None, _ms(started), f"URL not allowed: {exc}")
    except (OSError, http.client.HTTPException) as exc:
        reason = "timed out" if isinstance(exc, TimeoutError | socket.timeout) else repr(exc)
        return Attempt(None, _ms(started), f"could not deliver: {reason}")
    status = response.status
    if 200 <= status < 300:
        return Attempt(status, _ms(started), None)
    error = f"HTTP {status}"
    if 300 <= status < 400:
        error += f" (redirects are not followed: {response.getheader('Location')})"
    elif excerpt:
        error += f": {excerpt}"
    return Attempt(status, _ms(started), error)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted address while the Host header names the host."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the vetted address, verifying the certificate against the host's name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, timeout)
    return _PinnedHTTPConnection(target, timeout)


def _dead_letter(record: dict[str, Any], attempt: Attempt, settings: Settings) -> None:
    attributes = record.get("attributes") or {}
    client("sqs").send_message(
        QueueUrl=settings.webhook_dlq_url,
        MessageBody=record["body"],
        MessageGroupId=attributes.get("MessageGroupId") or "dead-letters",
        MessageDeduplicationId=attributes.get("MessageDeduplicationId") or record["messageId"],
        MessageAttributes={
            "last_error": {"DataType": "String", "StringValue": attempt.error or "failed"},
            "attempts": {
                "DataType": "Number",
                "StringValue": str(attributes.get("ApproximateReceiveCount") or 1),
            },
        },
    )
