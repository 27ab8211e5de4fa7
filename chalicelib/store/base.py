"""The single DynamoDB table: PynamoDB base model, indexes, binding, ids, clock and cursors."""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from itertools import chain
from operator import attrgetter
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.aws import pool_connections, retry_budget
from chalicelib.domain.errors import BadRequest
from chalicelib.settings import Settings, get_settings

# Every partition key starts with "<tenant>#", so an IAM dynamodb:LeadingKeys
# condition of "${tenant}#*" can fence a tenant. The GSIs are generic: each entity
# says what its gsiNpk/gsiNsk hold (docs/access-patterns.md keeps the table).


class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi4(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi4"
        projection = AllProjection()

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class Gsi5(GlobalSecondaryIndex):
    class Meta:
        index_name = "gsi5"
        projection = AllProjection()

    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class TableModel(Model):
    """Base of every item: the table's keys, the generic indexes and the bookkeeping fields."""

    class Meta:
        table_name = "sitebook-local"
        region = "ap-southeast-2"
        host: str | None = None
        # Set by bind() from the process's retry budget (chalicelib/aws.py).
        max_retry_attempts = 2
        connect_timeout_seconds: float = 0.5
        read_timeout_seconds: float = 1.5

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    gsi2 = Gsi2()
    gsi3 = Gsi3()
    gsi4 = Gsi4()
    gsi5 = Gsi5()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """The process's one connection to the table, shared by every model and transaction.

        PynamoDB makes a connection (a botocore client, ≈0.2 s of CPU to build) per model
        class; every model here is an item of the one table with the same keys and indexes,
        so all of them use TableModel's. A warm Lambda reuses it; botocore clients are
        thread-safe (PynamoDB keeps the non-thread-safe botocore session per thread).
        """
        if cls is TableModel:
            return super()._get_connection()
        return TableModel._get_connection()


class VersionedModel(TableModel):
    """An item a user edits: optimistic version (the ETag), timestamps and authors."""

    version = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


def _all_models(root: type[Model]) -> Iterable[type[Model]]:
    yield root
    for sub in root.__subclasses__():
        yield from _all_models(sub)


_bound_to: tuple | None = None


def bind(settings: Settings | None = None) -> None:
    """Point every model at the configured table (and the local endpoint); cheap when unchanged."""
    global _bound_to
    settings = settings or get_settings()
    target = (
        settings.table_name,
        settings.region,
        settings.aws_endpoint_url,
        settings.aws_retry_budget,
    )
    if target == _bound_to:
        return
    TableModel.Meta.table_name = settings.table_name
    TableModel.Meta.region = settings.region
    TableModel.Meta.host = settings.aws_endpoint_url
    budget = retry_budget(settings)
    # PynamoDB retries in botocore's standard mode with 1 + max_retry_attempts attempts.
    TableModel.Meta.max_retry_attempts = budget.attempts - 1
    TableModel.Meta.connect_timeout_seconds = budget.connect_timeout
    TableModel.Meta.read_timeout_seconds = budget.read_timeout
    # A search's Queries run on READ_THREADS threads at once: with PynamoDB's 10 pooled
    # connections, the rest were opened for one request and discarded ("pool is full").
    TableModel.Meta.max_pool_connections = max(READ_THREADS, pool_connections(settings))
    for model in _all_models(TableModel):
        model._connection = None
    _bound_to = target


def unbind() -> None:
    from chalicelib.store import reference_cache

    global _bound_to
    _bound_to = None
    reference_cache.clear()  # what was read belongs to the table left behind


def new_id() -> str:
    return uuid.uuid4().hex


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- cursors -----------------------------------------------------------------


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_key_names(partition_attr: str) -> frozenset[str]:
    """The attributes of a LastEvaluatedKey of a Query on the table (``pk``) or a GSI
    (``gsiNpk``): the table's keys, plus the index's keys for an index."""
    if partition_attr == "pk":
        return frozenset({"pk", "sk"})
    index = partition_attr.removesuffix("pk")
    return frozenset({"pk", "sk", f"{index}pk", f"{index}sk"})


def decode_cursor(cursor: str | None, *, partition: tuple[str, str]) -> dict[str, Any] | None:
    """Decode a cursor and check it is a key of the list being queried, or BadRequest (400).

    ``partition`` is (partition key attribute, value) of the Query. The key must have
    exactly the attributes of that table or index (see ``cursor_key_names``), each a
    DynamoDB string ``{"S": "..."}``, and the partition value asked for (no tenant hopping).
    """
    if not cursor:
        return None
    key = _decoded(cursor)
    attr, value = partition
    if not (
        isinstance(key, dict)
        and set(key) == cursor_key_names(attr)
        and all(_is_string_value(v) for v in key.values())
        and key[attr]["S"] == value
    ):
        raise BadRequest("The cursor is not valid for this list; start again without it.")
    return key


def _decoded(cursor: str) -> Any:
    """The JSON inside a cursor (unpadded base64url), or BadRequest (400)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest("The cursor is not valid; start again without it.") from exc


def encode_after(after: str, kind: str) -> str:
    """A cursor of a ``kind`` of list ("customers", "search") read in sort-key order and
    restarted after the last key returned (``<sk> > after``): no partition, no per-shard
    state."""
    raw = json.dumps({"after": after, "of": kind}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_after(cursor: str | None, kind: str) -> str | None:
    """The sort key an ``encode_after`` cursor of ``kind`` restarts after (None: from the
    start), or BadRequest (400) for anything else (another list's cursor, a forged one)."""
    if not cursor:
        return None
    value = _decoded(cursor)
    if not (
        isinstance(value, dict)
        and set(value) == {"after", "of"}
        and isinstance(value["after"], str)
        and 0 < len(value["after"].encode()) <= 1024  # a sort key DynamoDB accepts
        and value["of"] == kind
    ):
        raise BadRequest("The cursor is not valid for this list; start again without it.")
    return value["after"]


def _is_string_value(value: Any) -> bool:
    return isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str)


def query_page(
    run: Callable[..., Any], *, limit: int, cursor: str | None, partition: tuple[str, str]
) -> tuple[list[Any], str | None]:
    """Run one Query for a page and return its items and the next cursor."""
    start = decode_cursor(cursor, partition=partition)
    items, next_key = page_and_next(
        run(limit=limit, page_size=limit, last_evaluated_key=start), limit
    )
    return items, encode_cursor(next_key)


def page_and_next(results: Any, size: int) -> tuple[list[Any], dict | None]:
    """The items of a Query run with ``limit=size`` (PynamoDB's result iterator, read whole)
    and where its next page starts: the last evaluated key when the page is full, None when
    the partition ended within it."""
    items = list(results)
    return items, results.last_evaluated_key if len(items) >= size else None


# --- Queries at once -----------------------------------------------------------

# A search runs 2 Queries per search shard (table and gsi1) and one per list shard at once;
# a list page one per list shard. 24 threads cover a search (2 × 8 + 8) without queueing.
READ_THREADS = 24
_pool: ThreadPoolExecutor | None = None
_pool_made = threading.Lock()


def reads() -> ThreadPoolExecutor:
    """The threads a request's Queries run on at once (every shard of a list or search), kept
    by a warm process; they share the process's one client (botocore clients are
    thread-safe), so a read waits for its slowest Query rather than the sum of them all.
    A task run here must not wait for another task run here (no nesting: no deadlock)."""
    global _pool
    with _pool_made:
        if _pool is None:
            _pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="reads")
        return _pool


def read_merged(
    index: GlobalSecondaryIndex,
    sort_attribute: str,
    partition_keys: Sequence[str],
    condition: Any = None,
    *,
    filter_condition: Any = None,
    page_size: int | None = None,
    limit: int | None = None,
    read_ahead: bool = False,
) -> Iterator[Any]:
    """The items of every partition of ``partition_keys`` on ``index`` (the shards of one list)
    as one stream in ``sort_attribute`` order (the index's sort key): the merge of one Query per
    partition, each with the sort-key ``condition`` and ``filter_condition``.

    The partitions' first requests start at once on the read threads when this is called;
    each one's next requests run as the merge reaches them. ``page_size``: items a request
    reads; ``limit``: at most that many items per partition (None: all).

    ``read_ahead`` (needs ``page_size``; not with ``limit`` or ``filter_condition``, which
    may leave a page short while the partition goes on): each partition's next page is
    requested on the read threads as soon as its current one arrives, so a merge that goes
    through many pages of every partition waits for about as many rounds as a partition has
    pages, not for every request in turn; it may read one page per partition more than the
    merge uses.
    """
    if read_ahead:
        if page_size is None or limit is not None or filter_condition is not None:
            raise ValueError("read_ahead reads pages of page_size items, with no limit or filter")
        pages = [
            _PagesAhead(index, key, condition, filter_condition, page_size)
            for key in partition_keys
        ]
        return heapq.merge(*pages, key=attrgetter(sort_attribute))

    def first_request(partition_key: str) -> tuple[Any, Iterator[Any]]:
        results = index.query(
            partition_key,
            condition,
            filter_condition=filter_condition,
            page_size=page_size,
            limit=limit,
        )
        return next(results, None), results

    started = [reads().submit(first_request, key) for key in partition_keys]
    return _merged(started, attrgetter(sort_attribute))


class _PagesAhead:
    """One partition's items, page by page, each page's successor requested on the read
    threads as soon as the page arrives (read_merged's ``read_ahead``)."""

    def __init__(
        self, index: GlobalSecondaryIndex, key: str, condition: Any, filter_condition: Any,
        page_size: int,
    ) -> None:  # fmt: skip
        self._read = lambda after: _one_page(
            index, key, condition, filter_condition, page_size, after
        )
        self._next: Future | None = reads().submit(self._read, None)
        self._items: Iterator[Any] = iter(())

    def __iter__(self) -> _PagesAhead:
        return self

    def __next__(self) -> Any:
        for item in self._items:
            return item
        while self._next is not None:
            items, after = self._next.result()
            self._next = reads().submit(self._read, after) if after is not None else None
            self._items = iter(items)
            for item in self._items:
                return item
        raise StopIteration


def _one_page(
    index: GlobalSecondaryIndex,
    key: str,
    condition: Any,
    filter_condition: Any,
    page_size: int,
    after: dict | None,
) -> tuple[list[Any], dict | None]:
    """(up to ``page_size`` items of partition ``key`` after ``after``, where they stopped or
    None at the partition's end)."""
    results = index.query(
        key,
        condition,
        filter_condition=filter_condition,
        limit=page_size,
        page_size=page_size,
        last_evaluated_key=after,
    )
    return page_and_next(results, page_size)


def _merged(started: list[Future], sort_of: Callable[[Any], str]) -> Iterator[Any]:
    streams = []
    for future in started:
        first, rest = future.result()
        if first is not None:
            streams.append(chain([first], rest))
    yield from heapq.merge(*streams, key=sort_of)
