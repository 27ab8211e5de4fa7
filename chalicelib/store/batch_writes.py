"""BatchWriteItem in chunks of 25, unprocessed items retried with exponential backoff and jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

MAX_BATCH = 25
WriteRequest = dict[str, Any]


class WritesNotAccepted(Exception):
    """DynamoDB kept returning unprocessed items after every retry (the runner retries later)."""


def batch_write(
    client: Any,
    table_name: str,
    requests: list[WriteRequest],
    *,
    attempts: int = 8,
    base_delay: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Write ``requests`` (≤ 25, distinct keys); returns how many BatchWriteItem calls it took."""
    pending = {table_name: requests}
    for attempt in range(attempts):
        response = client.batch_write_item(RequestItems=pending)
        pending = response.get("UnprocessedItems") or {}
        if not pending:
            return attempt + 1
        sleep(min(5.0, base_delay * 2**attempt) * (0.5 + random.random() / 2))
    left = sum(len(v) for v in pending.values())
    raise WritesNotAccepted(f"{left} writes were still unprocessed after {attempts} tries")
