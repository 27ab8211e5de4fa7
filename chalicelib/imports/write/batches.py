"""Stage 5 (pure part): a plan's outcomes as BatchWriteItem-sized batches with progress marks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from chalicelib.domain.customers import format_customer_number
from chalicelib.imports.plan.planner import RowOutcome
from chalicelib.imports.ports import Record, RecordWriter, WriteRequest

MAX_BATCH = 25
# BatchWriteItem calls per checkpoint: a crash rewrites at most this many batches.
BATCHES_PER_CHECKPOINT = 10


@dataclass
class Batch:
    """Up to 25 writes with distinct keys; ``rows_written`` rows are complete once it is written."""

    requests: list[WriteRequest]
    rows_written: int

    def to_json(self) -> dict:
        return {"requests": self.requests, "rows_written": self.rows_written}


class CustomerNumbers:
    """Numbers for the customers an import creates without one, from the block reserved for it.

    Should the register have changed since the block was reserved (a retried plan), further
    blocks are reserved as needed; what is left of the first block can be given back.
    """

    EXTRA_BLOCK = 100

    def __init__(self, last: int, count: int, reserve_more: Callable[[int], int]) -> None:
        self.last = last
        self._next, self._end = last - count + 1, last
        self._reserve_more = reserve_more
        self.extended = False

    def __call__(self) -> str:
        if self._next > self._end:
            self._end = self._reserve_more(self.EXTRA_BLOCK)
            self._next, self.extended = self._end - self.EXTRA_BLOCK + 1, True
        number, self._next = self._next, self._next + 1
        return format_customer_number(number)

    @property
    def unused(self) -> int:
        """Numbers of the first block never handed out (0 once another block was needed)."""
        return 0 if self.extended else self._end - self._next + 1


def row_writes(
    outcomes: Iterable[RowOutcome],
    writer: RecordWriter,
    tenant_id: str,
    *,
    now: str,
    by: str | None,
    next_number: Callable[[], str],
    ledger: Callable[[int, RowOutcome, Record | None], WriteRequest] | None = None,
) -> Iterator[list[WriteRequest]]:
    """The writes of each row, in the order the outcomes come: a created or updated row's
    records, then (given ``ledger``) every row's ledger entry, ``ledger(seq, outcome, record
    as written)``, so the entry is written with the row it describes."""
    build = {
        "customer": writer.customer_writes,
        "contact": writer.contact_writes,
        "equipment": writer.equipment_writes,
    }
    for seq, outcome in enumerate(outcomes):
        writes: list[WriteRequest] = []
        record = outcome.record
        if outcome.action in ("created", "updated"):
            if outcome.entity == "customer" and not record.get("customer_number"):
                record = {**record, "customer_number": next_number()}
            writes = build[outcome.entity](tenant_id, record, outcome.previous, now=now, by=by)
            for entity, other, previous in outcome.extra:
                writes += build[entity](tenant_id, other, previous, now=now, by=by)
        elif ledger is None:
            continue
        if ledger is not None:
            writes.append(ledger(seq, outcome, record))
        yield writes


def batches(rows: Iterable[list[WriteRequest]], size: int = MAX_BATCH) -> Iterator[Batch]:
    """Pack rows' writes into batches; a key already in the batch starts the next one."""
    current: list[WriteRequest] = []
    keys: set[tuple[str, str]] = set()
    finished = 0
    for writes in rows:
        for request in writes:
            key = _key_of(request)
            if len(current) == size or key in keys:
                yield Batch(current, finished)
                current, keys = [], set()
            current.append(request)
            keys.add(key)
        finished += 1
    if current:
        yield Batch(current, finished)


def _key_of(request: WriteRequest) -> tuple[str, str]:
    body = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
    return body["pk"]["S"], body["sk"]["S"]


@dataclass
class CheckpointGroup:
    """Batches written between two checkpoints; ``rows_written`` rows are complete after it."""

    batches: list[list[WriteRequest]]
    rows_written: int

    def to_json(self) -> dict:
        return {"batches": self.batches, "rows_written": self.rows_written}


def checkpoint_groups(
    packed: Iterable[Batch], per_group: int = BATCHES_PER_CHECKPOINT
) -> Iterator[CheckpointGroup]:
    """Group batches so the import record is updated once per ``per_group`` BatchWriteItem calls."""
    group: list[Batch] = []
    for batch in packed:
        group.append(batch)
        if len(group) == per_group:
            yield CheckpointGroup([b.requests for b in group], group[-1].rows_written)
            group = []
    if group:
        yield CheckpointGroup([b.requests for b in group], group[-1].rows_written)
