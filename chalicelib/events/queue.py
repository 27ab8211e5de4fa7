"""The delivery queue's messages: one per subscription and event, grouped per subscription + record.

The queue is SQS FIFO. ``MessageGroupId`` = subscription + record, so one record's events
reach a subscriber in the order they happened while other records flow past a failing one;
``MessageDeduplicationId`` = subscription + event, so a redelivered stream batch within
SQS's five-minute window sends nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.aws import client
from chalicelib.settings import get_settings

BATCH = 10  # SendMessageBatch's limit


@dataclass(frozen=True)
class Delivery:
    """One event for one subscription."""

    tenant_id: str
    webhook_id: str
    event: dict[str, Any]
    record_key: str

    @property
    def group_id(self) -> str:
        return _token(f"{self.webhook_id}#{self.record_key}")

    @property
    def deduplication_id(self) -> str:
        return _token(f"{self.webhook_id}#{self.event['id']}")

    def body(self) -> str:
        return json.dumps(
            {"tenant": self.tenant_id, "webhook_id": self.webhook_id, "event": self.event},
            separators=(",", ":"),
        )

    @classmethod
    def from_body(cls, body: str) -> Delivery:
        data = json.loads(body)
        return cls(data["tenant"], data["webhook_id"], data["event"], "")


def _token(value: str) -> str:
    # Group and deduplication ids: at most 128 characters of [A-Za-z0-9 punctuation].
    return hashlib.sha256(value.encode()).hexdigest()


def send_deliveries(deliveries: Iterable[Delivery], queue_url: str | None = None) -> int:
    """Queue deliveries in order, ten per request; raises if SQS refuses any (caller retries)."""
    sqs = client("sqs")
    url = queue_url or get_settings().webhook_queue_url
    pending = list(deliveries)
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        reply = sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": d.body(),
                    "MessageGroupId": d.group_id,
                    "MessageDeduplicationId": d.deduplication_id,
                }
                for n, d in enumerate(chunk)
            ],
        )
        if reply.get("Failed"):
            failed = reply["Failed"][0]
            raise RuntimeError(
                f"the delivery queue refused {len(reply['Failed'])} messages: "
                f"{failed.get('Code')} {failed.get('Message')}"
            )
    return len(pending)
