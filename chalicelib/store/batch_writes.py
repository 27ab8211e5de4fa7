"""BatchWriteItem in chunks of 25, unprocessed items retried with exponential backoff and jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

MAX_BATCH = 25
# BatchWriteItem calls in flight at once for one checkpoint group: writes are latency-bound.
GROUP_WORKERS = 4
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


def write_group(
    client: Any,
    table_name: str,
    batches: list[list[WriteRequest]],
    *,
    workers: int = GROUP_WORKERS,
    **retry: Any,
) -> int:
    """Write one checkpoint group's batches, concurrently when no key is in two of them.

    A rename can delete a claim in one batch that a later batch puts again; then the order
    decides the end state, so such a group is written batch by batch, in order. Either way the
    group is complete when this returns (a failure raises after the other batches end), and
    a retry rewrites it whole. Returns how many BatchWriteItem calls it took. boto3 clients
    are thread-safe; ``retry`` is passed to ``batch_write``.
    """
    if workers < 2 or len(batches) < 2 or _keys_repeat(batches):
        return sum(batch_write(client, table_name, requests, **retry) for requests in batches)
    with ThreadPoolExecutor(max_workers=min(workers, len(batches))) as pool:
        calls = [
            pool.submit(batch_write, client, table_name, requests, **retry) for requests in batches
        ]
        return sum(call.result() for call in calls)


def _keys_repeat(batches: list[list[WriteRequest]]) -> bool:
    seen: set[tuple[str, str]] = set()
    for requests in batches:
        for request in requests:
            body = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
            key = (body["pk"]["S"], body["sk"]["S"])
            if key in seen:
                return True
            seen.add(key)
    return False
