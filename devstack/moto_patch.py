"""A patch of moto: Query reads one partition, a transaction copies only its items, and a
FIFO queue hands out one message of a group at a time.

moto 5.2.5 answers every Query by walking (and sorting) the whole table, and snapshots the
whole table once per item of a TransactWriteItems so it can roll back. Both grow with the
table; this patch makes them grow with the partition and with the transaction instead,
keeping moto's own code for everything else (ordering, pagination, filters, conditions).
Its SQS ReceiveMessage reads which FIFO groups are in flight once, when a long poll
starts, and without a lock, so two consumers could hold two messages of one group at
once; the patched receive takes each look under a lock with a fresh view.
docs/decisions/local-stack.md says why, what else was considered and when to drop it.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

PATCHED_MOTO_VERSION = "5.2.5"

_originals: dict[str, tuple[Any, Any]] = {}  # "Owner.name" -> (owner, moto's own function)
_query_scope = threading.local()  # the candidates of the Query running on this thread
_index_build = threading.Lock()
_generation = 0  # bumped by apply(): indexes built before a remove() may have missed writes
# DynamoDB runs each transaction in isolation from the others, and each single-item write
# (a conditional update, an ADD to a counter) atomically; moto's server runs requests on
# threads with no lock at all. One lock per process gives them that isolation (re-entrant:
# moto's transaction calls its own put_item and update_item).
transaction_lock = threading.RLock()
# SQS hands out a FIFO group's next message only once the one in flight is deleted or
# visible again; moto's receive checks that without a lock. One lock per process orders
# the receives, each of which is short (long polls wait outside it).
_receive_lock = threading.Lock()
RECEIVE_RECHECK_SECONDS = 0.05  # how often a long poll looks again while messages are held


class MotoVersionMismatch(RuntimeError):
    """The installed moto is not the version this patch was written and tested against."""


def apply() -> None:
    """Patch moto's DynamoDB and SQS in this process; idempotent.

    Raises MotoVersionMismatch when moto is not PATCHED_MOTO_VERSION: the patch wraps
    moto internals, so another version needs its code paths read again (see the decision).
    """
    import moto

    if moto.__version__ != PATCHED_MOTO_VERSION:
        raise MotoVersionMismatch(
            f"devstack/moto_patch.py patches moto {PATCHED_MOTO_VERSION}, but moto "
            f"{moto.__version__} is installed. Check whether this moto still walks the table on "
            "Query, copies it on TransactWriteItems and reads FIFO groups once per long poll "
            "(docs/decisions/local-stack.md): if not, "
            "drop the patch; if so, re-read those code paths and update PATCHED_MOTO_VERSION."
        )
    global _generation
    if _originals:
        return
    _generation += 1
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table
    from moto.sqs.models import SQSBackend

    backend = models.DynamoDBBackend
    for owner, name, replacement in (
        (Table, "query", _query),
        (Table, "all_items", _all_items),
        (Table, "put_item", _put_item),
        (backend, "update_item", _update_item),
        (backend, "transact_write_items", _transact_write_items),
        (models, "copy", _CopyKeepingTables),
        (SQSBackend, "receive_message", _receive_message),
    ):
        _originals[f"{owner.__name__.rsplit('.', 1)[-1]}.{name}"] = (owner, getattr(owner, name))
        setattr(owner, name, replacement)


def remove() -> None:
    """Undo apply() (tests compare the patched engine with moto's own)."""
    for qualified, (owner, original) in _originals.items():
        setattr(owner, qualified.rsplit(".", 1)[1], original)
    _originals.clear()


def is_applied() -> bool:
    return bool(_originals)


def _original(qualified: str) -> Any:
    return _originals[qualified][1]


# --- Query: candidates from one partition ------------------------------------------------


def _query(
    self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, *args, **kwargs
):
    # moto's query starts from self.all_items() and keeps the items whose hash key matches;
    # handing it the matching partition instead gives the same answer without the walk.
    index_name = args[2] if len(args) > 2 else kwargs.get("index_name")
    conditions = dict(kwargs.get("hash_key_conditions") or [])
    candidates = _partition(self, hash_key, index_name, conditions)
    filter_kwargs = set(kwargs) - _QUERY_KEYWORDS
    if candidates and range_comparison and not filter_kwargs:
        ranges = kwargs.get("range_key_conditions") or []
        if len(ranges) <= 1:
            candidates = _in_range(self, candidates, index_name, range_comparison, range_objs)
    _query_scope.candidates = (self, candidates)
    try:
        return _original("Table.query")(
            self,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            exclusive_start_key,
            *args,
            **kwargs,
        )
    finally:
        _query_scope.candidates = None


_QUERY_KEYWORDS = {
    "scan_index_forward",
    "projection_expressions",
    "index_name",
    "consistent_read",
    "filter_expression",
    "hash_key_conditions",
    "range_key_conditions",
}
_STRING_TESTS = {
    "EQ": lambda v, a: v == a[0],
    "LT": lambda v, a: v < a[0],
    "LE": lambda v, a: v <= a[0],
    "GT": lambda v, a: v > a[0],
    "GE": lambda v, a: v >= a[0],
    "BEGINS_WITH": lambda v, a: v.startswith(a[0]),
    "BETWEEN": lambda v, a: a[0] <= v <= a[1],
}


def _in_range(table, candidates: list, index_name, comparison: str, objs: list) -> list:
    """The candidates meeting a string sort-key condition, plus the lowest and highest others.

    moto would compute each candidate's size and sort them all to page a few: this keeps
    those it can return. The matches sit in one run of the sort order, so the lowest and
    highest of the rest are the only others whose place tells moto something: whether the
    page after a full one may hold more (so LastEvaluatedKey comes out as moto gives it).
    Anything other than strings is left to moto.
    """
    test = _STRING_TESTS.get(comparison)
    if test is None or any(o.type != "S" for o in objs):
        return candidates
    attr = None
    if index_name:
        index = next(i for i in table.all_indexes() if i.name == index_name)
        ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        if len(ranges) != 1:
            return candidates  # moto raises, or compares a multi-attribute key
        attr = ranges[0]
    bounds = [o.value for o in objs]
    kept, lowest, highest = [], None, None
    for item in candidates:
        value = item.range_key if attr is None else item.attrs.get(attr)
        if value is None:
            continue  # not in the index: moto leaves it out too
        if value.type != "S":
            return candidates
        raw = value.value
        if test(raw, bounds):
            kept.append(item)
        else:
            if lowest is None or raw < lowest[0]:
                lowest = (raw, item)
            if highest is None or raw > highest[0]:
                highest = (raw, item)
    if kept:
        kept += [o[1] for o in {id(o[1]): o for o in (lowest, highest) if o}.values()]
    return kept


def _all_items(self):
    scoped = getattr(_query_scope, "candidates", None)
    if scoped and scoped[0] is self and scoped[1] is not None:
        _query_scope.candidates = None  # used once, by the query that set it
        return scoped[1]
    return _original("Table.all_items")(self)


def _partition(table, hash_key, index_name: str | None, conditions: dict) -> list | None:
    """The items a Query can match, or None when this patch cannot narrow it (moto walks)."""
    if not index_name:
        if hash_key is None:
            return None
        stored = table.items.get(hash_key)  # .get: table.items is a defaultdict
        if stored is None:
            return []
        return list(stored.values()) if table.range_key_attr else [stored]
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    if index is None:
        return None  # moto raises its own validation error
    attrs = tuple(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
    if not attrs or any(a not in conditions for a in attrs):
        return None
    wanted = tuple(conditions[a] for a in attrs)
    bucket = _index_of(table, index_name, attrs).get(wanted, {})
    found = []
    for key in list(bucket):
        item = _stored(table, key)
        if item is not None and _hash_values(item, attrs) == wanted:
            found.append(item)
        else:
            bucket.pop(key, None)  # an entry the item has moved away from (updated, deleted)
    return found


# An index per table and GSI/LSI: hash-key values -> the keys of the items under them. It may
# hold keys that no longer match (pruned when read); it never misses one, because every way
# moto stores or changes an item (put_item, update_item, a rolled-back transaction) adds it.


def _index_of(table, index_name: str, attrs: tuple[str, ...]) -> dict:
    indexes = table.__dict__.setdefault("_partitions_by_index", {})
    known = indexes.get(index_name)
    if known is not None and known[:2] == (attrs, _generation):
        return known[2]
    with _index_build:
        buckets: dict = {}
        # Registered before it is filled, so a write landing meanwhile is added either by
        # its own hook or by the fill below; never by neither.
        indexes[index_name] = (attrs, _generation, buckets)
        for stored in list(table.items.values()):
            for item in list(stored.values()) if table.range_key_attr else [stored]:
                _add(buckets, attrs, item)
        return buckets


def _index_item(table, item) -> None:
    for attrs, _, buckets in list(table.__dict__.get("_partitions_by_index", {}).values()):
        _add(buckets, attrs, item)


def _add(buckets: dict, attrs: tuple[str, ...], item) -> None:
    values = _hash_values(item, attrs)
    if values is not None:
        buckets.setdefault(values, {})[(item.hash_key, item.range_key)] = None


def _hash_values(item, attrs: tuple[str, ...]) -> tuple | None:
    values = tuple(item.attrs.get(a) for a in attrs)
    return None if any(v is None for v in values) else values


def _stored(table, key: tuple):
    hash_key, range_key = key
    stored = table.items.get(hash_key)
    if stored is None or range_key is None:
        return stored
    return stored.get(range_key)


def _put_item(self, *args, **kwargs):
    with transaction_lock:  # its condition and its write at once, as DynamoDB's
        item = _original("Table.put_item")(self, *args, **kwargs)
    _index_item(self, item)
    return item


def _update_item(self, table_name, *args, **kwargs):
    with transaction_lock:  # its condition, its ADDs and its write at once, as DynamoDB's
        item = _original("DynamoDBBackend.update_item")(self, table_name, *args, **kwargs)
    _index_item(self.get_table(table_name), item)  # moto updates the item in place
    return item


# --- TransactWriteItems: snapshot the touched items, not the tables ---------------------


class _CopyKeepingTables:
    """The `copy` module as moto.dynamodb.models sees it once patched.

    That module deep-copies a Table in one place only: transact_write_items' rollback
    snapshot, taken once per item. The patched transaction snapshots the items it touches
    instead, so the table is handed back as it is (moto then "restores" it to itself).
    """

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: dict | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _transact_write_items(self, transact_items):
    with transaction_lock:
        before = [s for s in (_snapshot(self, op) for op in transact_items) if s is not None]
        streams = {id(t): (t, len(t.stream_shard.items)) for t, *_ in before if t.stream_shard}
        try:
            return _original("DynamoDBBackend.transact_write_items")(self, transact_items)
        except BaseException:
            for table, key, item in reversed(before):
                _restore(table, key, item)
            for table, length in streams.values():
                del table.stream_shard.items[length:]  # the cancelled writes' stream records
            raise


def _snapshot(backend, transact_item: dict) -> tuple | None:
    """(table, key, a copy of the item or None) for a write; None for what writes nothing."""
    try:
        from moto.dynamodb.models.dynamo_type import DynamoType

        kind, op = next(iter(transact_item.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None or kind == "ConditionCheck":
            return None
        key = op["Item"] if kind == "Put" else op["Key"]
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    except (AttributeError, KeyError, StopIteration, TypeError):
        return None  # malformed: moto rejects it before writing anything for it
    item = _stored(table, (hash_key, range_key))
    return table, (hash_key, range_key), copy.deepcopy(item)


def _restore(table, key: tuple, item) -> None:
    hash_key, range_key = key
    if item is None:
        if range_key is None:
            table.items.pop(hash_key, None)
        elif hash_key in table.items:
            table.items[hash_key].pop(range_key, None)
        return
    if range_key is None:
        table.items[hash_key] = item
    else:
        table.items[hash_key][range_key] = item
    _index_item(table, item)


def _receive_message(
    self,
    queue_name: str,
    count: int,
    wait_seconds_timeout: int,
    visibility_timeout: int,
    message_attribute_names: list[str] | None = None,
):
    """SQS ReceiveMessage with FIFO groups honoured between concurrent consumers.

    moto's own receive, called without waiting (so it reads the groups in flight afresh
    each time) under ``_receive_lock``; a long poll repeats that until a message is handed
    out or ``wait_seconds_timeout`` (seconds) has passed, waiting outside the lock.
    """
    receive = _original("SQSBackend.receive_message")
    deadline = time.monotonic() + (wait_seconds_timeout or 0)
    queue = self.get_queue(queue_name)
    while True:
        with _receive_lock:
            got = receive(self, queue_name, count, 0, visibility_timeout, message_attribute_names)
        left = deadline - time.monotonic()
        if got or left <= 0:
            return got
        if queue.messages:  # visible but held back (a group in flight, a redrive): look again
            time.sleep(min(RECEIVE_RECHECK_SECONDS, left))
        else:
            queue.wait_for_messages(min(1.0, left))
