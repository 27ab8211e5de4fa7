"""A patch of moto: Query reads one partition and does less per item, a transaction copies
only its items, a FIFO queue hands out one message of a group at a time, and the server's
per-request work is cut.

moto 5.2.5 answers every Query by walking (and sorting) the whole table, and snapshots the
whole table once per item of a TransactWriteItems so it can roll back. Both grow with the
table; this patch makes them grow with the partition and with the transaction instead,
keeping moto's own code for everything else (ordering, pagination, filters, conditions).
Its SQS ReceiveMessage reads which FIFO groups are in flight once, when a long poll
starts, and without a lock, so two consumers could hold two messages of one group at
once; the patched receive takes each look under a lock with a fresh view. Its reads answer
under the same lock as its writes, since moto changes stored items in place. Its server
routes each request anew (listing its own package folder, under one lock) and builds each
JSON answer by walking botocore's shapes down to every attribute of every item; the
patched server keeps each host's route and passes attribute values through as they are.
docs/decisions/local-stack.md says why, what else was considered and when to drop it.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import threading
import time
from typing import Any

PATCHED_MOTO_VERSION = "5.2.5"

_originals: dict[str, tuple[Any, Any]] = {}  # "Owner.name" -> (owner, moto's own function)
_query_scope = threading.local()  # the candidates of the Query running on this thread
_index_lock = threading.RLock()  # the buckets of every index (_Bucket)
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
# moto changes a stored item in place on UpdateItem and turns items into an answer after its
# read returns, so a read running beside an update could walk an item while it changes
# ("dictionary changed size during iteration", a 500). DynamoDB reads a whole item as of one
# moment: these reads answer under the write lock.
READS = ("get_item", "batch_get_item", "query", "scan", "transact_get_items")


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
    from moto.core import responses
    from moto.core.serialize import JSONSerializer
    from moto.dynamodb import models
    from moto.dynamodb import responses as dynamodb_responses
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.sqs.models import SQSBackend

    backend = models.DynamoDBBackend
    reads = [(DynamoHandler, name, _read_under_lock(name)) for name in READS]
    for owner, name, replacement in (
        *reads,
        (Table, "query", _query),
        (Table, "all_items", _all_items),
        (Table, "sorted_items", _sorted_items),
        (Table, "put_item", _put_item),
        (Item, "__init__", _item_init),
        (Item, "size", _item_size),
        (Item, "project", _item_project),
        (DynamoType, "size", _value_size),
        (table_module, "copy", _CopyNotTheAnswer),
        (dynamodb_responses, "dynamo_to_dict", _dynamo_to_dict),
        (backend, "update_item", _update_item),
        (backend, "transact_write_items", _transact_write_items),
        (models, "copy", _CopyKeepingTables),
        (SQSBackend, "receive_message", _receive_message),
        (JSONSerializer, "_serialize", _serialize),
        (DomainDispatcherApplication, "get_backend_for_host", _backend_for_host),
        (responses, "method_names_from_class", _method_names_from_class),
    ):
        _originals[f"{owner.__name__.rsplit('.', 1)[-1]}.{name}"] = (owner, getattr(owner, name))
        setattr(owner, name, replacement)


# The replacements that cut the server's per-request work (routing, answering), which a
# benchmark can take out alone to measure them: the engine's answers do not depend on them.
SERVER_PATCHES = (
    "JSONSerializer._serialize",
    "DomainDispatcherApplication.get_backend_for_host",
    "responses.method_names_from_class",
)


# The replacements that cut a Query's per-item work past its candidates (sizes, the sort,
# the copy of the page, the answer's dicts), which a benchmark can take out alone as well.
ANSWER_PATCHES = (
    "Item.size",
    "Item.project",
    "DynamoType.size",
    "Table.sorted_items",
    "table.copy",
    "responses.dynamo_to_dict",
)


def remove(only: tuple[str, ...] | None = None) -> None:
    """Undo apply() (tests compare the patched engine with moto's own), or only the named
    replacements (SERVER_PATCHES, ANSWER_PATCHES); remove() then apply() puts everything
    back."""
    for qualified in list(_originals) if only is None else only:
        owner, original = _originals.pop(qualified)
        setattr(owner, qualified.rsplit(".", 1)[1], original)
    if only is None:
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
    narrow = None
    legacy_filter = set(kwargs) - _QUERY_KEYWORDS  # QueryFilter: moto filters as it pages
    if range_comparison and not legacy_filter and len(kwargs.get("range_key_conditions") or []) < 2:
        narrow = (range_comparison, range_objs)
    forward = args[0] if args else kwargs.get("scan_index_forward", True)
    page = (limit, exclusive_start_key, forward is not False) if not legacy_filter else None
    candidates = _candidates(self, hash_key, index_name, conditions, narrow, page)
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


def _all_items(self):
    scoped = getattr(_query_scope, "candidates", None)
    if scoped and scoped[0] is self and scoped[1] is not None:
        _query_scope.candidates = None  # used once, by the query that set it
        return scoped[1]
    return _original("Table.all_items")(self)


def _candidates(
    table, hash_key, index_name: str | None, conditions: dict, narrow, page
) -> list | None:
    """The items a Query can match, or None when this patch cannot narrow it (moto walks).

    ``narrow``: (comparison, values) of a sort-key condition, or None. With one, the
    candidates are the items meeting it plus the lowest and highest of the others in the
    partition: the matches sit in one run of the sort order, so those two are the only
    others whose place tells moto something (whether the page after a full one may hold
    more, so LastEvaluatedKey comes out as moto gives it). ``page``: (Limit, ExclusiveStartKey,
    forward) or None; the run is cut to the page moto will read (see _Bucket.select).
    """
    if not index_name:
        if hash_key is None:
            return None
        stored = table.items.get(hash_key)  # .get: table.items is a defaultdict
        if stored is None:
            return []
        if not table.range_key_attr:
            return [stored]
        if narrow is None and (page is None or len(stored) <= SMALL_PARTITION):
            return list(stored.values())
        attrs, range_attr, wanted = (table.hash_key_attr,), table.range_key_attr, (hash_key,)
        bucket = _table_partition(table, hash_key)
    else:
        index = next((i for i in table.all_indexes() if i.name == index_name), None)
        if index is None:
            return None  # moto raises its own validation error
        attrs = tuple(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
        if not attrs or any(a not in conditions for a in attrs):
            return None
        ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        range_attr = ranges[0] if len(ranges) == 1 else None
        wanted = tuple(conditions[a] for a in attrs)
        bucket = _index_of(table, index_name, attrs, range_attr).get(wanted)
        if bucket is None:
            return []
        if len(ranges) > 1:
            return bucket.items(table, attrs, wanted)  # a multi-attribute sort key: moto's
    with _index_lock:
        found = bucket.select(table, attrs, wanted, range_attr, narrow, page)
        return found if found is not None else bucket.items(table, attrs, wanted)


# Below this many items, a partition read without a sort-key condition is handed to moto
# whole (moto sorts it anyway); above it, only the page moto will read.
SMALL_PARTITION = 100


_NOT_A_STRING = object()  # an indexed sort-key value that is not a string: never narrowed


def _sort_value(item, range_attr: str | None):
    """The item's sort-key value as a str, None when it has none, else _NOT_A_STRING."""
    value = item.attrs.get(range_attr) if range_attr else None
    if value is None:
        return None
    return value.value if value.type == "S" else _NOT_A_STRING


_BOUNDS = {  # comparison -> (values, bounds) -> the [lo, hi) run of sorted values meeting it
    "EQ": lambda v, b: (bisect.bisect_left(v, b[0]), bisect.bisect_right(v, b[0])),
    "LT": lambda v, b: (0, bisect.bisect_left(v, b[0])),
    "LE": lambda v, b: (0, bisect.bisect_right(v, b[0])),
    "GT": lambda v, b: (bisect.bisect_right(v, b[0]), len(v)),
    "GE": lambda v, b: (bisect.bisect_left(v, b[0]), len(v)),
    "BETWEEN": lambda v, b: (bisect.bisect_left(v, b[0]), bisect.bisect_right(v, b[1])),
    "BEGINS_WITH": lambda v, b: (bisect.bisect_left(v, b[0]), _prefix_end(v, b[0])),
}


def _prefix_end(values: list[str], prefix: str) -> int:
    end = bisect.bisect_left(values, prefix)
    while end < len(values) and values[end].startswith(prefix):
        end += 1
    return end


class _Bucket:
    """The keys of the items under one hash-key value (of an index, or of the table), with
    their string sort-key values kept in order (``values``, ``order``: the keys alike).

    May hold keys whose item has since moved away or gone: checked, and dropped, when read.
    Used under _index_lock only.
    """

    __slots__ = ("keys", "values", "order", "not_strings")

    def __init__(self) -> None:
        self.keys: dict = {}  # (hash key, range key) -> sort value (see _sort_value)
        self.values: list[str] = []
        self.order: list = []
        self.not_strings = 0

    def add(self, key, value) -> None:
        old = self.keys.get(key, self)
        if old is not self:
            if old is value or (isinstance(old, str) and old == value):
                return
            self.discard(key)
        self.keys[key] = value
        if isinstance(value, str):
            at = bisect.bisect_right(self.values, value)
            self.values.insert(at, value)
            self.order.insert(at, key)
        elif value is _NOT_A_STRING:
            self.not_strings += 1

    def discard(self, key) -> None:
        old = self.keys.pop(key, self)
        if isinstance(old, str):
            at = bisect.bisect_left(self.values, old)
            while self.order[at] != key:
                at += 1
            del self.values[at], self.order[at]
        elif old is _NOT_A_STRING:
            self.not_strings -= 1

    def items(self, table, attrs: tuple, wanted: tuple) -> list:
        """Every item still under this hash-key value."""
        found = []
        for key in list(self.keys):
            item = _stored(table, key)
            if item is not None and _hash_values(item, attrs) == wanted:
                found.append(item)
            else:
                self.discard(key)  # an entry the item has moved away from (updated, deleted)
        return found

    def select(self, table, attrs, wanted, range_attr, narrow, page) -> list | None:
        """The candidates of a Query on this bucket (see _candidates); None when it cannot
        tell them (a sort-key value or bound that is not a string, or no sort key).

        With ``page`` (Limit, ExclusiveStartKey, forward), the run is cut to what moto reads:
        from the start key's sort value on, Limit + 1 items, and every item sharing a sort
        value with either end (moto breaks such ties by the table's keys).
        """
        if range_attr is None or self.not_strings:
            return None
        if narrow is None:
            lo, hi = 0, len(self.values)
        else:
            comparison, objs = narrow
            bounds = _BOUNDS.get(comparison)
            if bounds is None or any(o.type != "S" for o in objs):
                return None
            lo, hi = bounds(self.values, [o.value for o in objs])
            hi = max(lo, hi)
        gone: list = []  # dropped after the walk, which reads positions
        try:
            found = self._run(table, attrs, wanted, range_attr, lo, hi, page, gone)
            if found and narrow is not None:
                end = len(self.order)
                lowest_first = itertools.chain(range(lo), range(hi, end))
                highest_first = itertools.chain(reversed(range(hi, end)), reversed(range(lo)))
                for positions in (lowest_first, highest_first):
                    for position in positions:
                        item = self._current(table, attrs, wanted, range_attr, position, gone)
                        if item is not None:
                            if item is not found[-1]:
                                found.append(item)
                            break
        except _Unhooked:
            return None
        finally:
            for key in gone:
                self.discard(key)
        return found

    def _run(self, table, attrs, wanted, range_attr, lo: int, hi: int, page, gone) -> list:
        """The current items at positions [lo, hi), cut to ``page`` where it can be."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        limit, start, forward = page or (None, None, True)
        after = None  # the start key's sort value
        if start:
            value = start.get(range_attr)
            same_hash = all(
                isinstance(start.get(a), dict) and DynamoType(start[a]) == w
                for a, w in zip(attrs, wanted, strict=True)
            )
            if not (isinstance(value, dict) and set(value) == {"S"} and same_hash):
                limit = None  # a start this cannot place: moto skips to it over the whole run
            else:
                after = value["S"]
                if forward:
                    lo = max(lo, bisect.bisect_left(self.values, after))
                else:
                    hi = min(hi, bisect.bisect_right(self.values, after))
        positions = range(lo, hi) if forward else reversed(range(lo, hi))
        found, counted, last = [], 0, None
        for position in positions:
            value = self.values[position]
            if limit and counted > limit and value != last:
                break
            item = self._current(table, attrs, wanted, range_attr, position, gone)
            if item is not None:
                found.append(item)
                if value != after:  # items tied with the start may come before it: not counted
                    counted, last = counted + 1, value
        return found

    def _current(self, table, attrs, wanted, range_attr, position: int, gone: list):
        """The item at ``position`` if it is still under this hash-key value (else its key
        goes to ``gone``); _Unhooked if its sort key changed unseen."""
        key = self.order[position]
        item = _stored(table, key)
        if item is None or _hash_values(item, attrs) != wanted:
            gone.append(key)
            return None
        if _sort_value(item, range_attr) != self.values[position]:
            raise _Unhooked
        return item


class _Unhooked(Exception):
    """An item changed by a path this patch does not hook: moto decides, over the bucket."""


# The buckets of an index: hash-key values -> _Bucket, per table and GSI/LSI (built whole
# on its first Query), and per partition of the table itself (built on its first Query with
# a sort-key condition). Every way moto stores or changes an item (put_item, update_item, a
# rolled-back transaction) adds it, so a bucket never misses one.


def _index_of(table, index_name: str, attrs: tuple[str, ...], range_attr: str | None) -> dict:
    indexes = table.__dict__.setdefault("_partitions_by_index", {})
    known = indexes.get(index_name)
    if known is not None and known[:3] == (attrs, range_attr, _generation):
        return known[3]
    with _index_lock:
        buckets: dict = {}
        for stored in list(table.items.values()):
            for item in list(stored.values()) if table.range_key_attr else [stored]:
                _add(buckets, attrs, range_attr, item)
        indexes[index_name] = (attrs, range_attr, _generation, buckets)
        return buckets


def _table_partition(table, hash_key) -> _Bucket:
    indexes = table.__dict__.setdefault("_partitions_by_index", {})
    attrs, range_attr = (table.hash_key_attr,), table.range_key_attr
    with _index_lock:
        known = indexes.get(None)
        if known is None or known[2] != _generation:
            known = indexes[None] = (attrs, range_attr, _generation, {})
        buckets = known[3]
        if (hash_key,) not in buckets:
            buckets[(hash_key,)] = bucket = _Bucket()
            for item in list(table.items.get(hash_key, {}).values()):
                bucket.add((item.hash_key, item.range_key), _sort_value(item, range_attr))
        return buckets[(hash_key,)]


def _index_item(table, item) -> None:
    with _index_lock:
        for name, (attrs, range_attr, _, buckets) in table.__dict__.get(
            "_partitions_by_index", {}
        ).items():
            # An index has every bucket; the table only the partitions queried so far.
            if name is not None or (item.hash_key,) in buckets:
                _add(buckets, attrs, range_attr, item)


def _add(buckets: dict, attrs: tuple[str, ...], range_attr: str | None, item) -> None:
    values = _hash_values(item, attrs)
    if values is not None:
        bucket = buckets.get(values) or buckets.setdefault(values, _Bucket())
        bucket.add((item.hash_key, item.range_key), _sort_value(item, range_attr))


def _hash_values(item, attrs: tuple[str, ...]) -> tuple | None:
    values = tuple(item.attrs.get(a) for a in attrs)
    return None if any(v is None for v in values) else values


def _stored(table, key: tuple):
    hash_key, range_key = key
    stored = table.items.get(hash_key)
    if stored is None or range_key is None:
        return stored
    return stored.get(range_key)


def _read_under_lock(name: str):
    def read(self, *args, **kwargs):
        with transaction_lock:
            if name != "query":
                return _original(f"DynamoHandler.{name}")(self, *args, **kwargs)
            # The handler turns the Query's items into its answer (new dicts and lists, see
            # _dynamo_to_dict) before this returns: nothing keeps them, nothing writes them.
            _query_scope.answering = True  # see _item_project and _CopyNotTheAnswer
            try:
                return _original(f"DynamoHandler.{name}")(self, *args, **kwargs)
            finally:
                _query_scope.answering = None

    read.__name__ = name
    return read


def _put_item(self, *args, **kwargs):
    with transaction_lock:  # its condition and its write at once, as DynamoDB's
        item = _original("Table.put_item")(self, *args, **kwargs)
    _index_item(self, item)
    return item


def _update_item(self, table_name, *args, **kwargs):
    global _updates
    with transaction_lock:  # its condition, its ADDs and its write at once, as DynamoDB's
        _updates += 1  # moto changes the item in place: every size kept so far is stale
        try:
            item = _original("DynamoDBBackend.update_item")(self, table_name, *args, **kwargs)
        finally:
            _updates += 1  # (sizes kept while it ran, too, whether or not it succeeded)
    _index_item(self.get_table(table_name), item)  # moto updates the item in place
    return item


# UpdateItem is the one write that changes a stored item in place (moto's put, batch
# write, PartiQL and transactions store new items or call update_item): a size kept on an
# item with the count of updates at the time stays its size until the next update.
_updates = 0


def _item_init(self, hash_key, range_key, attrs) -> None:
    # moto sets the attributes one at a time, each time summing the sizes of all those set
    # so far (quadratic in the attributes, on every write). Sizes are never negative, so
    # some running total passes moto's limit exactly when the whole does: checked once.
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

    self.hash_key = hash_key
    self.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if _attributes_size(values) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict(values)  # its update() does not check again


ITEM_SIZE_LIMIT = 405000  # moto's LimitedSizeDict: between DynamoDB's measured 409 and 410 KB


# --- Query: per-item work on the way to the answer ----------------------------------------
# Past the candidates, moto's Table.query sorts an index's candidates comparing DynamoTypes,
# sizes each item twice (is the page full? then the running total), deep-copies the page,
# and the handler rebuilds every attribute value as a plain dict through dynamo_to_dict, one
# recursive call per value; and moto sizes a set or a map by wrapping each member in a new
# DynamoType. Together they cost about half of a Query of a 1,000-item page.


def _bytesize(value: str | bytes) -> int:
    """moto's ``utilities.bytesize``: a string's UTF-8 length, bytes as they are."""
    return len(value if isinstance(value, bytes) else value.encode("utf-8"))


def _value_size(self) -> int:
    # moto's DynamoType.size wraps every member of a set and every value of a map in a new
    # DynamoType to ask it its size; the same sums, without the wrapping (and without an
    # import on every call: a search's answer sizes each of ~1,000 items' ~14 values).
    kind, value = self.type, self.value
    if kind == "S":
        return _bytesize(value)
    if kind == "N":
        return len(str(value))
    if kind == "NS":
        return sum(len(str(member)) for member in value)
    if kind == "SS" or kind == "BS":
        return sum(1 if isinstance(member, bool) else _bytesize(member) for member in value)
    if kind == "L":
        return sum(member.size() for member in value)
    if kind == "M":
        from moto.dynamodb.models.dynamo_type import DynamoType

        return sum(
            _bytesize(key) + (inner if type(inner) is DynamoType else DynamoType(inner)).size()
            for key, inner in value.items()
        )
    return 1 if isinstance(value, bool) else _bytesize(value)


def _sorted_items(self, hash_key_attrs, range_key_attrs, items: list) -> list:
    # moto sorts an index Query's candidates by tuples of DynamoTypes, whose comparisons
    # compute both sides' cast_value (a Decimal for a number) on every comparison. Sorting
    # by the cast values themselves, computed once per item, gives the same order: a key
    # attribute holds one type, so DynamoType's == (type and cast value) and < (cast
    # value) come down to its cast value's.
    attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
    items.sort(key=lambda item: tuple([item.attrs[attr].cast_value for attr in attrs]))
    return items


def _item_size(self) -> int:
    # A Query sizes each item of its page for the 1 MB limit, a search's broad lead ~1,000
    # of them; an item's size is kept on it until an update may have changed it (_updates).
    kept = self.__dict__.get("_sitebook_size")
    if kept is not None and kept[0] == _updates:
        return kept[1]
    updates = _updates
    size = _attributes_size(self.attrs)
    self._sitebook_size = (updates, size)
    return size


def _attributes_size(attrs: dict) -> int:
    # moto's Item.size of these attributes ({name: DynamoType}): each one's name and value, a
    # string's value summed in place.
    return sum(
        _bytesize(key) + (_bytesize(value.value) if value.type == "S" else value.size())
        for key, value in attrs.items()
    )


def _item_project(self, projection_expressions: list[list[str]]):
    # moto's Item.project turns the whole item into plain JSON once per projected path (a
    # search's entries project 9 attributes: 9 conversions of every item), then builds a new
    # Item from the merged JSON (sizing it again). For top-level attributes only (no nested
    # path, whose merges could reach into the shared conversion):
    # - within a Query's answer (under the read lock, turned into new dicts before the lock
    #   is let go, see _read_under_lock) the new Item holds the stored attribute values
    #   themselves: a projection is never larger than its item, so there is nothing to size;
    # - elsewhere the item is converted once.
    # The rest is moto's code as released.
    from botocore.utils import merge_dicts
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict, serializer
    from moto.dynamodb.models.utilities import find_nested_key

    if any(len(expr) != 1 or expr[0].endswith("]") for expr in projection_expressions):
        return _original("Item.project")(self, projection_expressions)
    if getattr(_query_scope, "answering", None) is not None:
        attrs = self.attrs
        kept = {name: attrs[name] for (name,) in projection_expressions if name in attrs}
        projected = Item.__new__(Item)
        projected.hash_key, projected.range_key = self.hash_key, self.range_key
        projected.attrs = LimitedSizeDict(kept)  # its update() does not check the size
        return projected
    result: dict[str, Any] = {}
    regular = self.to_regular_json()
    for expr in projection_expressions:
        merge_dicts(result, find_nested_key(expr, regular))
    return Item(
        hash_key=self.hash_key, range_key=self.range_key, attrs=serializer.serialize(result)["M"]
    )


class _CopyNotTheAnswer:
    """The `copy` module as moto.dynamodb.models.table sees it once patched.

    Table.query deep-copies its page of items so its caller cannot change stored items
    through them. Its only caller, DynamoHandler.query, turns them into the answer under
    the read lock and drops them (and already answers LastEvaluatedKey from stored values),
    so within that handler the page is handed on as it is. Every other copy is moto's own.
    """

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: dict | None = None) -> Any:
        if getattr(_query_scope, "answering", None) is not None and type(value) is list:
            return list(value)
        return copy.deepcopy(value, memo)


_PLAIN = (str, bool)  # S, N, BOOL, NULL values: dynamo_to_dict hands them back unchanged


def _dynamo_to_dict(obj: Any) -> Any:
    # moto's dynamo_to_dict asks each value in turn whether it is a datetime, a DynamoType,
    # has to_json, is a dict or a list, recursing into a scalar's value to ask again. Strings,
    # containers and attribute values other than binary take the short way here, to the same
    # result; anything else (binary, datetimes, objects with to_json) goes to moto's.
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

    kind = type(obj)
    if kind is str:
        return obj
    if kind is DynamoType:
        if obj.type != "B" and obj.type != "BS":
            value = obj.value
            if type(value) in _PLAIN:
                return {obj.type: value}
            if type(value) is list:  # SS, NS, L
                return {obj.type: [v if type(v) is str else _dynamo_to_dict(v) for v in value]}
            return {obj.type: _dynamo_to_dict(value)}
    elif kind is dict or kind is LimitedSizeDict:
        return {key: _dynamo_to_dict(value) for key, value in obj.items()}
    elif kind is list:
        return [_dynamo_to_dict(value) for value in obj]
    return _original("responses.dynamo_to_dict")(obj)


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


# --- The server's per-request work: routing and answering ----------------------------------


def _backend_for_host(self, host):
    # moto's server runs this for every request under one lock for the whole server: it
    # lists moto's package folder (a stat per service) and tries every service's URL
    # patterns in turn. The answer depends on the host alone and the folder and patterns
    # never change while the server runs, so each host's answer is kept.
    known = self.__dict__.setdefault("_sitebook_backends", {})
    if host not in known:
        known[host] = _original("DomainDispatcherApplication.get_backend_for_host")(self, host)
    return known[host]


_method_names: dict[type, list[str]] = {}


def _method_names_from_class(clazz) -> list[str]:
    # moto looks up every request's action among its handler class's functions by listing
    # them (inspect.getmembers) anew each time; a class's functions do not change.
    names = _method_names.get(clazz)
    if names is None:
        names = _method_names[clazz] = _original("responses.method_names_from_class")(clazz)
    return names


def _serialize(self, serialized, value, shape, key) -> None:
    # moto builds each JSON answer by walking botocore's output shape member by member,
    # down to every attribute of every item (a 30-attribute item: a few hundred calls). An
    # item, key or attribute value moto holds is already in its wire form (S/N strings,
    # BOOL, NULL, SS/NS, L and M of the same), which that walk copies unchanged; only binary
    # (B, BS) is encoded again on the way, so values holding any keep moto's walk.
    if key and _is_attribute_values(shape) and _wire_form(value, shape):
        self._default_serialize(serialized, value, shape, key)
        return
    _original("JSONSerializer._serialize")(self, serialized, value, shape, key)


_ATTRIBUTE_VALUES: dict[int, bool] = {}  # id(shape) -> whether it is made of AttributeValues
_AS_IS = frozenset(("S", "N", "BOOL", "NULL", "SS", "NS"))


def _is_attribute_values(shape) -> bool:
    """Whether a botocore shape is DynamoDB's AttributeValue, or a map or list of them (an
    item, a key, a page of items), at any depth."""
    known = _ATTRIBUTE_VALUES.get(id(shape))
    if known is None:
        if shape.name == "AttributeValue":
            known = True
        elif shape.type_name == "map":
            known = _is_attribute_values(shape.value)
        elif shape.type_name == "list":
            known = _is_attribute_values(shape.member)
        else:
            known = False
        _ATTRIBUTE_VALUES[id(shape)] = known  # botocore keeps its shapes: ids stay theirs
    return known


def _wire_form(value, shape) -> bool:
    """Whether ``value`` of a shape made of AttributeValues is already what moto's walk would
    answer: every attribute value in it one of S, N, BOOL, NULL, SS, NS, or L/M of those."""
    if shape.name == "AttributeValue":
        return _plain_value(value)
    if shape.type_name == "map":
        return isinstance(value, dict) and all(_wire_form(v, shape.value) for v in value.values())
    return isinstance(value, list) and all(_wire_form(v, shape.member) for v in value)


def _plain_value(value) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in _AS_IS:
        return True
    if kind == "L":
        return isinstance(inner, list) and all(_plain_value(v) for v in inner)
    if kind == "M":
        return isinstance(inner, dict) and all(_plain_value(v) for v in inner.values())
    return False  # B, BS: moto's walk encodes them
