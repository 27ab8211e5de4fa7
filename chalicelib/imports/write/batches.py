"""Stage 5 (pure part): a plan's outcomes as one transaction per row and each row's ledger
entry, in checkpoint groups.

The plan carries each row's records (the record, what it replaces, the records it changes
beside it); their items are built when the group is written (``CheckpointGroup.build``), by
the write stage's workers rather than by the one that plans. Rows are ordered before that by
``write_keys``: what a row's items may share with another row's (its records, its claims).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from chalicelib.domain.customers import format_customer_number
from chalicelib.imports.plan.planner import RowOutcome
from chalicelib.imports.ports import RecordWriter, TransactItem, WriteRequest
from chalicelib.imports.write.ledger import completed_entry, entry_head, written_records

# Items per checkpoint (as the 10 BatchWriteItem calls of 25 were): a crash retries at most the
# rows of one group, each of which a retry recognises as already written.
ITEMS_PER_CHECKPOINT = 250
# Search entries a record's write puts besides its item and claims, as planned before the items
# are built (bench/import_bench.py: a customer 3, a site 2; a contact 1; equipment none). Only
# sizes groups: a group may come out a few items over or under ITEMS_PER_CHECKPOINT.
ENTRIES_ESTIMATE = {"customer": 3, "contact": 1, "equipment": 0}


@dataclass
class RowWrite:
    """One row's writes, taken in one transaction or not at all, and what reporting needs of it.

    ``records``: ``[entity, record, previous]`` of each record the row writes, its own first
    (None for a row that writes nothing: unchanged or failed); ``items``: their
    TransactWriteItems entries, the row's record first, once built (``CheckpointGroup.build``;
    a plan stored before records were carried holds them built); ``needs``: customers an
    earlier row of this file creates that this row's records point at; ``ledger``: the
    BatchWriteItem put of the row's ledger entry (store/import_rows.py), written after the
    row, corrected should it lose; planned, the row carries its entry's head and ``seq``
    instead (``ledger.entry_head``), completed from its records when the group is written.
    ``keys`` (planning only, not stored): the row's ``write_keys``, which order it
    (GroupLevels).
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
    records: list[list] | None = None
    entry: dict | None = None
    seq: int | None = None
    keys: list[tuple[str, str]] | None = field(default=None, repr=False, compare=False)


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
    next_number: Callable[[], str],
    ledger: bool = False,
) -> Iterator[RowWrite]:
    """The writes of each created or updated row, in the order the outcomes come; with
    ``ledger``, every row, each carrying the head of its ledger entry and its ``seq``.

    A row carries its records and their ``write_keys``, not yet its items
    (``CheckpointGroup.build`` makes them when the group is written). A row pointing at a
    customer an earlier row of the file creates (a contact's customer, a site's billing
    customer) ``needs`` it: should that row lose a race, this one is not written.
    """
    created: set[str] = set()
    for seq, outcome in enumerate(outcomes):
        writes = outcome.action in ("created", "updated")
        if not writes and not ledger:
            continue
        record = outcome.record
        records: list[list] | None = None
        keys: list[tuple[str, str]] = []
        if writes:
            if outcome.entity == "customer" and not record.get("customer_number"):
                record = {**record, "customer_number": next_number()}
            records = written_records(outcome, record)
            for entity, written, previous in records:
                keys += writer.write_keys(entity, tenant_id, written, previous)
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
            items=[],
            records=records,
            entry=entry_head(outcome, record) if ledger else None,
            seq=seq if ledger else None,
            keys=keys,
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
    """Rows written between two checkpoints; ``rows_written`` rows are complete after it;
    ``now``: the time its records are stamped with (the plan's)."""

    rows: list[RowWrite]
    rows_written: int
    now: str | None = None

    def to_json(self) -> dict:
        # A row's fields are JSON values already: asdict would deep-copy every item of every row.
        rows = [{k: v for k, v in vars(row).items() if k != "keys"} for row in self.rows]
        return {"rows": rows, "rows_written": self.rows_written, "now": self.now}

    @classmethod
    def from_json(cls, data: dict) -> CheckpointGroup:
        rows = [RowWrite(**row) for row in data["rows"]]
        return cls(rows, data["rows_written"], data.get("now"))

    def build(
        self,
        writer: RecordWriter,
        tenant_id: str,
        *,
        by: str | None,
        ledger: Callable[[int, dict], WriteRequest] | None = None,
    ) -> CheckpointGroup:
        """Each row's items from its records (``writer.<entity>_writes``, stamped ``now`` and
        ``by``) and, given ``ledger`` (``(seq, entry)`` → the put of a ledger entry), its
        ledger put from its entry's head and records (``ledger.completed_entry``), in place;
        rows stored built keep what they hold. Returns the group.

        The items are the ones planning used to build: the records are stored as JSON and
        read back unchanged (tests/functional/test_import_write_build.py)."""
        build = {
            "customer": writer.customer_writes,
            "contact": writer.contact_writes,
            "equipment": writer.equipment_writes,
        }
        for row in self.rows:
            if row.records is not None and not row.items:
                row.items = [
                    item
                    for entity, record, previous in row.records
                    for item in build[entity](tenant_id, record, previous, now=self.now, by=by)
                ]
            if ledger is not None and row.entry is not None and row.ledger is None:
                row.ledger = ledger(row.seq, completed_entry(row.entry, row.records))
        return self


def estimated_items(row: RowWrite) -> int:
    """A row's items, its ledger entry included: counted once built, else estimated from its
    records (item, claims, ENTRIES_ESTIMATE search entries)."""
    items = len(row.items)
    if not items and row.records:
        items = len(row.keys or ()) + sum(ENTRIES_ESTIMATE[r[0]] for r in row.records)
    return items + (row.ledger is not None or row.entry is not None)


def checkpoint_groups(
    rows: Iterable[RowWrite], items_per_group: int = ITEMS_PER_CHECKPOINT, *, now: str | None = None
) -> Iterator[CheckpointGroup]:
    """Group rows so the import record is updated once per about ``items_per_group`` items
    (estimated_items); each group carries ``now``, its records' time stamp."""
    group: list[RowWrite] = []
    items, written = 0, 0
    for row in rows:
        group.append(row)
        items += estimated_items(row)
        written += 1
        if items >= items_per_group:
            yield CheckpointGroup(group, written, now)
            group, items = [], 0
    if group:
        yield CheckpointGroup(group, written, now)


class GroupLevels:
    """Each checkpoint group's write level, for writes spread over workers (write/parts.py).

    A group is one level past every earlier group it depends on: one that writes an item it
    writes too (the same record, claim or entry: its order matters; told by the rows'
    ``write_keys``, or by their items in a plan stored built), or creates a customer one of its
    rows ``needs``. Groups of one level share nothing, so they can be written at once; level
    k+1 starts when level k is written. Keys are kept as hashes (a collision only adds an
    order that was not needed).
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
            for key in row.keys if row.keys is not None else item_keys(row.items):
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
