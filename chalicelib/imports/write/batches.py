"""Stage 5 (pure part): a plan's outcomes as one transaction per row and each row's ledger
entry, in checkpoint groups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from chalicelib.domain.customers import format_customer_number
from chalicelib.imports.plan.planner import RowOutcome
from chalicelib.imports.ports import Record, RecordWriter, TransactItem, WriteRequest

# Items per checkpoint (as the 10 BatchWriteItem calls of 25 were): a crash retries at most the
# rows of one group, each of which a retry recognises as already written.
ITEMS_PER_CHECKPOINT = 250


@dataclass
class RowWrite:
    """One row's writes, taken in one transaction or not at all, and what reporting needs of it.

    ``items`` are TransactWriteItems entries, the row's record first (none for a row that
    writes nothing: unchanged or failed); ``needs``: customers an earlier row of this file
    creates that this row's records point at; ``ledger``: the BatchWriteItem put of the row's
    ledger entry (store/import_rows.py), written after the row, corrected should it lose.
    """

    sheet: str
    row: int
    target: str
    action: str  # created | updated | unchanged | failed
    warned: bool
    record_id: str | None
    label: str | None
    creates: bool
    needs: list[str]
    items: list[TransactItem]
    ledger: WriteRequest | None = None


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
) -> Iterator[RowWrite]:
    """The transaction of each created or updated row, in the order the outcomes come; given
    ``ledger`` (``ledger(seq, outcome, record as written)`` → the put of its entry), every row,
    each carrying its entry.

    A row pointing at a customer an earlier row of the file creates (a contact's customer, a
    site's billing customer) ``needs`` it: should that row lose a race, this one is not written.
    """
    build = {
        "customer": writer.customer_writes,
        "contact": writer.contact_writes,
        "equipment": writer.equipment_writes,
    }
    created: set[str] = set()
    for seq, outcome in enumerate(outcomes):
        writes = outcome.action in ("created", "updated")
        if not writes and ledger is None:
            continue
        record = outcome.record
        items: list[TransactItem] = []
        if writes:
            if outcome.entity == "customer" and not record.get("customer_number"):
                record = {**record, "customer_number": next_number()}
            items = build[outcome.entity](tenant_id, record, outcome.previous, now=now, by=by)
            for entity, other, previous in outcome.extra:
                items += build[entity](tenant_id, other, previous, now=now, by=by)
        shown = record or outcome.previous or {}
        parent = shown.get("customer_id") or (shown.get("billing") or {}).get("billing_customer_id")
        yield RowWrite(
            sheet=outcome.row.sheet,
            row=outcome.row.row,
            target=outcome.row.target,
            action=outcome.action,
            warned=bool(outcome.warnings),
            record_id=shown.get("id"),
            label=_label(shown),
            creates=outcome.action == "created",
            needs=[parent] if writes and parent in created else [],
            items=items,
            ledger=ledger(seq, outcome, record) if ledger is not None else None,
        )
        if outcome.entity == "customer" and outcome.action == "created":
            created.add(record["id"])


def _label(record: dict) -> str | None:
    """What a row error shows as the value: the record's name, a contact's, an equipment's."""
    person = " ".join(p for p in (record.get("first_name"), record.get("last_name")) if p)
    return record.get("name") or person or record.get("equipment_number")


def item_keys(items: Iterable[TransactItem]) -> Iterator[tuple[str, str]]:
    """The (pk, sk) of each TransactWriteItems entry."""
    for entry in items:
        ((_, body),) = entry.items()
        key = body.get("Item") or body["Key"]
        yield key["pk"]["S"], key["sk"]["S"]


@dataclass
class CheckpointGroup:
    """Rows written between two checkpoints; ``rows_written`` rows are complete after it."""

    rows: list[RowWrite]
    rows_written: int

    def to_json(self) -> dict:
        # A row's fields are JSON values already: asdict would deep-copy every item of every row.
        return {"rows": [vars(row) for row in self.rows], "rows_written": self.rows_written}

    @classmethod
    def from_json(cls, data: dict) -> CheckpointGroup:
        return cls([RowWrite(**row) for row in data["rows"]], data["rows_written"])


def checkpoint_groups(
    rows: Iterable[RowWrite], items_per_group: int = ITEMS_PER_CHECKPOINT
) -> Iterator[CheckpointGroup]:
    """Group rows so the import record is updated once per about ``items_per_group`` items."""
    group: list[RowWrite] = []
    items, written = 0, 0
    for row in rows:
        group.append(row)
        items += len(row.items) + (row.ledger is not None)
        written += 1
        if items >= items_per_group:
            yield CheckpointGroup(group, written)
            group, items = [], 0
    if group:
        yield CheckpointGroup(group, written)


class GroupLevels:
    """Each checkpoint group's write level, for writes spread over workers (write/parts.py).

    A group is one level past every earlier group it depends on: one that writes an item it
    writes too (the same record, claim or entry: its order matters), or creates a customer one
    of its rows ``needs``. Groups of one level share nothing, so they can be written at once;
    level k+1 starts when level k is written. Keys are kept as hashes (a collision only adds
    an order that was not needed).
    """

    def __init__(self) -> None:
        self._key_level: dict[int, int] = {}
        self._created_level: dict[str, int] = {}
        self.count = 0

    def level(self, group: CheckpointGroup) -> int:
        """The level of the next group of the file (call for each group, in order)."""
        level, keys = 0, []
        for row in group.rows:
            for customer in row.needs:
                if customer in self._created_level:
                    level = max(level, self._created_level[customer] + 1)
            for key in item_keys(row.items):
                keys.append(hashed := hash(key))
                if hashed in self._key_level:
                    level = max(level, self._key_level[hashed] + 1)
        for hashed in keys:
            self._key_level[hashed] = level
        for row in group.rows:
            if row.creates and row.record_id:
                self._created_level[row.record_id] = level
        self.count = max(self.count, level + 1)
        return level


def split_level(first: int, count: int, parts: int) -> list[list[int]]:
    """``count`` groups from ``first`` as up to ``parts`` ``[first, end]`` ranges of near-equal
    size, in order."""
    parts = max(1, min(parts, count))
    size, extra = divmod(count, parts)
    ranges, start = [], first
    for n in range(parts):
        end = start + size + (n < extra)
        ranges.append([start, end])
        start = end
    return ranges
