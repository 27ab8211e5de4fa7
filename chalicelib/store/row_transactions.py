"""An import row's writes as one TransactWriteItems call: all of them or none, on conditions.

The first entry of a row is its record (a customer, contact or equipment item); the rest are
its claims, search entries and the records it changes beside it (a demoted default contact).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

TransactItem = dict[str, Any]
# A transaction that collides with another on one of its items ("TransactionConflict": the
# API writing the same customer at that moment) is tried again this many times; the retry
# then meets the winner's condition or succeeds.
CONFLICT_RETRIES = 5


class RowWrite(Enum):
    """What became of a row's transaction."""

    WRITTEN = "written"  # every item written now
    ALREADY_WRITTEN = "already_written"  # an earlier attempt of this import wrote it whole
    LOST = "lost"  # a condition failed: someone else changed the record or took a claim


def write_row(
    client: Any,
    table_name: str,
    items: list[TransactItem],
    *,
    creates: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> RowWrite:
    """Write a row's ``items`` in one transaction; ``creates``: its record is new.

    A failed condition is a lost race unless the row's record already holds this very write
    (a retried group: the record exists with the id only this row makes, or is at the version,
    time and author this row writes), so a retry never reports its own earlier write as a race.
    Raises the ClientError of anything else (throttling after botocore's retries, conflicts
    after CONFLICT_RETRIES), for the runner's retry.
    """
    entries = [_with_table(entry, table_name) for entry in items]
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            client.transact_write_items(TransactItems=entries)
            return RowWrite.WRITTEN
        except ClientError as exc:
            codes = _cancellation_codes(exc)
            if "ConditionalCheckFailed" in codes:
                return _already_written(client, table_name, items[0], creates)
            if "TransactionConflict" not in codes or attempt == CONFLICT_RETRIES:
                raise
            sleep(0.02 * 2**attempt * (1 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


def _with_table(entry: TransactItem, table_name: str) -> TransactItem:
    ((action, body),) = entry.items()
    return {action: {**body, "TableName": table_name}}


def _cancellation_codes(exc: ClientError) -> set[str]:
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return set()
    reasons = exc.response.get("CancellationReasons") or []
    return {reason.get("Code") for reason in reasons if reason}


def _already_written(
    client: Any, table_name: str, record_entry: TransactItem, creates: bool
) -> RowWrite:
    """One consistent read of the row's record, only after its transaction was refused."""
    item = record_entry["Put"]["Item"]
    stored = client.get_item(
        TableName=table_name,
        Key={"pk": item["pk"], "sk": item["sk"]},
        ConsistentRead=True,
    ).get("Item")
    if stored is None:
        return RowWrite.LOST
    if creates:  # a new record's id is made from the import and row: nobody else writes it
        return RowWrite.ALREADY_WRITTEN
    mine = all(
        stored.get(name) == item.get(name) for name in ("version", "updated_at", "updated_by")
    )
    return RowWrite.ALREADY_WRITTEN if mine else RowWrite.LOST
