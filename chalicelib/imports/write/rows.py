"""Stage 5: each row of a checkpoint group written in its own transaction, and what became of it.

This is the one place that decides a row's write outcome: written (now, or whole by an earlier
attempt of the same import), or lost — a condition failed because someone changed the record or
took its name, number or import ID after the plan read them, or the customer the row points at
lost so. A lost row is a row error and nothing of it is written.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from chalicelib.imports.plan.planner import RowError
from chalicelib.imports.write.batches import RowWrite, item_keys

RACE_MESSAGE = "changed by someone else during the import — import it again to apply"
# Row transactions in flight at once for one group: each is one round trip, latency-bound
# (boto3 keeps 10 connections per client).
ROW_WORKERS = 8
# The error list the import record keeps (as the plan's Results keeps it).
MAX_ERRORS_ON_RECORD = 100


@dataclass
class RowResult:
    """A row's outcome once written: ``lost`` with its ``error``, or written."""

    row: RowWrite
    lost: bool = False
    error: RowError | None = None

    @property
    def where(self) -> str:
        return f"row {self.row.row} of {self.row.sheet}"


def write_rows(
    rows: list[RowWrite],
    write: Callable[[RowWrite], bool],
    lost_customers: dict[str, str],
    *,
    workers: int = ROW_WORKERS,
) -> list[RowResult]:
    """Write each row with ``write(row)`` (False: a condition failed) and say what became of it.

    Rows run concurrently except where order matters: a row waits for the earlier rows of the
    group that touch one of its items, or create a customer it ``needs``. A row needing a
    customer in ``lost_customers`` (id → where its row is; this group's losses are added) is
    lost without a write. Results come in the rows' order; an error raised by ``write`` is
    raised once every row has ended (the group is retried whole, and rows already written are
    recognised as such); a row waiting for a row that raised is not written.
    """
    waits = _waits(rows)
    results: list[RowResult | None] = [None] * len(rows)

    def run(index: int, earlier: list[Future]) -> None:
        for future in earlier:
            future.result()  # an earlier row that failed to write: this one waits for the retry
        row = rows[index]
        parent = next((c for c in row.needs if c in lost_customers), None)
        if parent is not None:
            result = _lost(row, f"its customer ({lost_customers[parent]}) was {RACE_MESSAGE}")
        elif not row.items or write(row):  # a row with nothing to write (its entry aside)
            result = RowResult(row)
        else:
            result = _lost(row, RACE_MESSAGE)
        if (customer := lost_customer(result)) is not None:
            lost_customers[customer] = result.where
        results[index] = result

    if workers < 2 or len(rows) < 2:
        for index in range(len(rows)):
            run(index, [])
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(rows))) as pool:
            # FIFO: a row waits only on rows submitted (so started) before it, never a deadlock.
            futures: list[Future] = []
            for index in range(len(rows)):
                futures.append(pool.submit(run, index, [futures[i] for i in waits[index]]))
        for future in futures:
            future.result()
    return [result for result in results if result is not None]


def ledger_puts(results: list[RowResult]) -> Iterator[dict[str, Any]]:
    """The group's ledger entries as written: a row that lost has its entry rewritten as
    failed with its error (the one place a ledger entry changes after planning)."""
    from chalicelib.imports.write.ledger import lost_at_write
    from chalicelib.store.import_rows import corrected_put, entry_of_put

    for result in results:
        put = result.row.ledger
        if put is None:
            continue
        if result.lost and result.error is not None:
            put = corrected_put(put, lost_at_write(entry_of_put(put), result.error.message))
        yield put


def _waits(rows: list[RowWrite]) -> list[list[int]]:
    """For each row, the earlier rows it must wait for (a shared item, or a customer it needs)."""
    last_at: dict[tuple[str, str], int] = {}
    creator: dict[str, int] = {}
    waits = []
    for index, row in enumerate(rows):
        earlier = {creator[c] for c in row.needs if c in creator}
        for key in item_keys(row.items):
            if key in last_at:
                earlier.add(last_at[key])
            last_at[key] = index
        if row.creates:
            creator[row.record_id] = index
        waits.append(sorted(earlier))
    return waits


def _lost(row: RowWrite, message: str) -> RowResult:
    return RowResult(row, lost=True, error=RowError(row.sheet, row.row, "", row.label, message))


def settled_fields(item: Any, results: list[RowResult]) -> dict[str, Any]:
    """The import record's fields after a group: its lost rows moved from created/updated to
    failed in the counts, their errors added (the first MAX_ERRORS_ON_RECORD), ``rows_lost``.

    Saved with the group's checkpoint in one update, so a retried group is never counted twice.
    """
    lost = [
        (r.row.target, r.row.action, r.row.warned, r.error.to_dict()) for r in results if r.lost
    ]
    if not lost:
        return {}
    return {**settled_counts(item, lost), "rows_lost": (item.rows_lost or 0) + len(lost)}


def settled_counts(item: Any, lost: list[tuple[str, str, bool, dict]]) -> dict[str, Any]:
    """``counts``, ``errors`` and ``errors_total`` of the import record with the ``lost`` rows
    (``(target, action as planned, warned, error)``) moved from created/updated to failed."""
    counts = copy.deepcopy(item.counts or {})
    errors = list(item.errors or [])
    for target_name, action, warned, error in lost:
        target = counts.setdefault(target_name, {})
        target[action] = target.get(action, 0) - 1
        target["failed"] = target.get("failed", 0) + 1
        if warned:  # "warned" counts written rows only
            target["warned"] = target.get("warned", 0) - 1
        if len(errors) < MAX_ERRORS_ON_RECORD:
            errors.append(error)
    return {
        "counts": counts,
        "errors": errors,
        "errors_total": (item.errors_total or 0) + len(lost),
    }


def lost_customer(result: RowResult) -> str | None:
    """The customer a lost row would have created (rows pointing at it are not written)."""
    row = result.row
    creates_customer = result.lost and row.creates and row.target in ("customers", "sites")
    return row.record_id if creates_customer else None
