"""Customers in the table: item, unique claims and search entries, numbering, listing."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from itertools import islice, takewhile
from typing import Any, NamedTuple

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import UpdateError

from chalicelib.domain.customers import find_billing_loop, format_customer_number
from chalicelib.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.domain.records import BOOKKEEPING_FIELDS
from chalicelib.domain.search import sort_key
from chalicelib.domain.values import name_key
from chalicelib.store.base import (
    TableModel,
    VersionedModel,
    bind,
    decode_after,
    encode_after,
    now_iso,
    read_merged,
)
from chalicelib.store.item_json import (
    Item,
    Write,
    absent,
    at_version,
    keys,
    owned_by,
    put_attributes,
    strings,
)
from chalicelib.store.records import (
    Op,
    claim_ops,
    conditional_failed,
    is_claim,
    stale,
    transact,
)
from chalicelib.store.search_entries import customer_entry_ops, shard_of

CUSTOMER_SK = "CUSTOMER"
NAME_SCOPE, NUMBER_SCOPE, IMPORT_ID_SCOPE = "customer-name", "customer-number", "customer-import-id"
_TEXT = (
    "customer_number",
    "import_id",
    "name",
    "company_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "phone_e164",
    "mobile",
    "mobile_e164",
    "notes",
    "assigned_user_id",
    "customer_type_id",
    "lead_source_id",
    "payment_term_id",
    "price_level_id",
    "status",
)
_MAPS = ("site_address", "billing_address", "billing", "custom_fields")
# The filters of GET /v1/customers, each with the index that serves it alone (gsi1: none).
FILTER_INDEXES = {
    "billing_customer_id": ("gsi5", "BILLEDTO"),
    "assigned_user_id": ("gsi2", "USER"),
    "customer_type_id": ("gsi3", "TYPE"),
    "lead_source_id": ("gsi4", "SOURCE"),
}
# Each list of customers (by name, and each filter value's) is spread over LIST_SHARDS
# partitions, a customer's shard a hash of its id. Every customer and site record lands in
# the name list, and in a facet's list when most share a type or a billing customer (a
# property manager with thousands of sites), so one list key would receive a record's share
# of an import's items: 1/7 for the bench's customers (14 %), up to 1/3 for one with only its
# record and two claims. Issue 12 allows no partition more than 5 % of a 100,000-customer
# import (DynamoDB writes 1,000 items/s per partition against the table's 4,000+): eight
# shards make that 1.8 % and 4.2 % at worst, at the cost of 8 Queries per page run at once
# (docs/decisions/search.md, "Third pass: the customer lists sharded").
LIST_SHARDS = 8


class CustomerItem(VersionedModel):
    """One customer: pk ``<tenant>#CUSTOMER#<id>``, sk ``CUSTOMER``; its children share the pk."""

    id = UnicodeAttribute()
    customer_number = UnicodeAttribute(null=True)
    import_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    company_name = UnicodeAttribute(null=True)
    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    phone_e164 = UnicodeAttribute(null=True)
    mobile = UnicodeAttribute(null=True)
    mobile_e164 = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    assigned_user_id = UnicodeAttribute(null=True)
    customer_type_id = UnicodeAttribute(null=True)
    lead_source_id = UnicodeAttribute(null=True)
    payment_term_id = UnicodeAttribute(null=True)
    price_level_id = UnicodeAttribute(null=True)
    billing_customer_id = UnicodeAttribute(null=True)  # copied out of billing for filters
    site_address = MapAttribute(null=True)
    billing_address = MapAttribute(null=True)
    billing_same_as_site = BooleanAttribute(default=False)
    billing = MapAttribute(null=True)
    on_hold = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="active")
    custom_fields = MapAttribute(null=True)

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"id": self.id}
        for name in _TEXT:
            record[name] = getattr(self, name)
        for name in _MAPS:
            value = getattr(self, name)
            record[name] = value.as_dict() if value is not None else None
        record["custom_fields"] = record["custom_fields"] or {}
        record["billing_same_as_site"] = bool(self.billing_same_as_site)
        record["on_hold"] = bool(self.on_hold)
        for name in BOOKKEEPING_FIELDS:
            record[name] = getattr(self, name)
        record["version"] = int(record["version"])
        return _plain(record)


class CounterItem(TableModel):
    """A per-tenant counter (``<tenant>#COUNTER``, sk the counter's name), advanced with ADD."""

    value = NumberAttribute(default=0)


def _plain(value: Any) -> Any:
    """DynamoDB hands back whole floats as floats and maps as MapAttribute; records are plain."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def customer_pk(tenant_id: str, customer_id: str) -> str:
    return f"{tenant_id}#CUSTOMER#{customer_id}"


def list_key(
    tenant_id: str, status: str, facet: str | None = None, value: str | None = None
) -> str:
    """The key of a list of customers of ``status`` (by name; with ``facet`` and ``value``:
    those of one filter's value, e.g. ``TYPE``, a type's id), unsharded: each of its shards'
    partition keys is this plus ``#<shard>`` (``list_shard_key``); items written before the
    lists were sharded carry it as it is, until ``search_reindex`` re-keys them."""
    middle = f"{facet}#{value}#" if facet else ""
    return f"{tenant_id}#CUSTOMERS#{middle}{status}"


def list_shard_key(key: str, customer_id: str) -> str:
    """The partition key of the customer's shard of list ``key`` (``list_key``)."""
    return _shard_pk(key, shard_of(customer_id, LIST_SHARDS))


def _shard_pk(key: str, shard: int) -> str:
    return f"{key}#{shard}"


def read_list(
    index_name: str,
    key: str,
    *,
    after: str | None = None,
    prefix: str | None = None,
    filter_condition: Any = None,
    page_size: int | None = None,
    limit: int | None = None,
    read_ahead: bool = False,
) -> Iterator[CustomerItem]:
    """The customers of list ``key`` (``list_key``) on ``index_name`` ("gsi1" … "gsi5") in
    sort-key order: the merge of one Query per shard, with sort keys after ``after`` and
    starting with ``prefix`` (either or both), ``filter_condition`` applied by DynamoDB.

    The shards' first requests start at once on the read threads when this is called; each
    shard's next requests run as the merge reaches them, or as each page arrives with
    ``read_ahead`` (base.read_merged). ``page_size``: items a request reads; ``limit``: at
    most that many items per shard (None: all).
    """
    bind()
    index = getattr(CustomerItem, index_name)
    sk_name = f"{index_name}sk"
    sk = getattr(CustomerItem, sk_name)
    within = None  # a Query has one sort-key condition: "after" reads on, the prefix ends it
    if after is not None and prefix and after < prefix:
        after = None  # every key starting with the prefix lies after it
    if after is not None and prefix and not after.startswith(prefix):
        return iter(())  # past every key starting with the prefix
    if after is not None:
        condition = sk > after
        within = prefix
    else:
        condition = sk.startswith(prefix) if prefix else None
    shards = [_shard_pk(key, shard) for shard in range(LIST_SHARDS)]
    items = read_merged(
        index,
        sk_name,
        shards,
        condition,
        filter_condition=filter_condition,
        page_size=page_size,
        limit=limit,
        read_ahead=read_ahead,
    )
    if within:
        return takewhile(lambda item: getattr(item, sk_name).startswith(within), items)
    return items


# ---------------------------------------------------------------- items of a record


def customer_item(tenant_id: str, record: dict[str, Any]) -> Item:
    """The item of a complete record (id, version and timestamps included), index keys set,
    as DynamoDB JSON: exactly what CustomerItem's ``serialize()`` gives for it."""
    billing = record.get("billing") or {}
    status = record.get("status") or "active"
    item = keys(customer_pk(tenant_id, record["id"]), CUSTOMER_SK, "customer")
    item["id"] = {"S": record["id"]}
    item |= strings({name: record.get(name) for name in _TEXT})
    item["status"] = {"S": status}
    if billing.get("billing_customer_id") is not None:
        item["billing_customer_id"] = {"S": billing["billing_customer_id"]}
    item["billing_same_as_site"] = {"BOOL": bool(record.get("billing_same_as_site"))}
    item["on_hold"] = {"BOOL": bool(record.get("on_hold"))}
    put_attributes(item, {name: record.get(name) for name in _MAPS})
    item["version"] = {"N": str(int(record["version"]))}
    item |= strings({name: record.get(name) for name in BOOKKEEPING_FIELDS[1:]})
    # Sorted by the folded name, so "Ángel" lists among the A's; a name prefix query reads it too.
    sort = {"S": f"{sort_key(record['name'])}#{record['id']}"}
    item["gsi1pk"] = {"S": list_shard_key(list_key(tenant_id, status), record["id"])}
    item["gsi1sk"] = sort
    for field, (index, facet) in FILTER_INDEXES.items():
        value = billing.get(field) if field == "billing_customer_id" else record.get(field)
        if value:
            key = list_key(tenant_id, status, facet, value)
            item[f"{index}pk"] = {"S": list_shard_key(key, record["id"])}
            item[f"{index}sk"] = sort
    return item


def _duplicate(field: str, value: str):
    labels = {"name": "name", "customer_number": "customer number", "import_id": "import ID"}
    return lambda: Conflict(
        f"Another customer already has the {labels[field]} '{value}'.",
        title=f"Customer {labels[field]} taken",
        errors=[FieldError(field, "is already used by another customer")],
    )


class NumberTaken(Conflict):
    """A generated customer number was taken by hand meanwhile; the next one is tried."""


def customer_ops(
    tenant_id: str, record: dict[str, Any], previous: dict[str, Any] | None = None
) -> list[Write]:
    """Every write that stores ``record`` over ``previous``: the item, claims and search
    entries (which the duplicates lookup, ``store/duplicates.py``, reads too).

    The customer is saved on condition it is new (or still at ``previous``'s version);
    claims move from the old to the new name, number and import id; search entries
    (``search_entries.customer_entry_ops``) are rewritten only when what they carry changed.
    """
    item = customer_item(tenant_id, record)
    condition = absent() if previous is None else at_version(previous["version"])
    ops = [Write("put", item, condition, stale("customer"))]
    ops += customer_claim_ops(tenant_id, record, previous)
    return ops + customer_entry_ops(tenant_id, record, previous)


# The customer's unique values, each claimed in its own scope.
_CLAIMED = (
    ("name", NAME_SCOPE),
    ("customer_number", NUMBER_SCOPE),
    ("import_id", IMPORT_ID_SCOPE),
)


def customer_claim_ops(
    tenant_id: str, record: dict[str, Any], previous: dict[str, Any] | None
) -> list[Write]:
    """The claims ``customer_ops`` moves when ``record`` is stored over ``previous``: its
    name, number and import ID, each freed where it changed and taken anew (records.claim_ops).

    The only items of a customer's write another record's write can share (a name freed by
    one row and taken by the next): the importer orders its writes by them.
    """
    old = previous or {}
    ops: list[Write] = []
    for field, scope in _CLAIMED:
        conflict = _duplicate(field, record.get(field) or "")
        ops += claim_ops(
            tenant_id, scope, record["id"], old.get(field), record.get(field), conflict
        )
    return ops


def customer_removal_ops(tenant_id: str, record: dict[str, Any]) -> list[Write]:
    """Every write that removes the stored ``record`` with all it brought: the item (on its
    version), its claims (while still its own) and its search entries.

    The inverse of ``customer_ops(record)``, built from it, so whatever a customer's write
    adds is what its removal takes away (import undo; the API archives instead).
    """
    ops = []
    for op in customer_ops(tenant_id, record, None):
        if op.item["entity"]["S"] == "customer":
            ops.append(Write("delete", op.item, at_version(record["version"]), stale("customer")))
        elif is_claim(op):  # only while it is still this customer's
            ops.append(Write("delete", op.item, owned_by(record["id"]), stale("claim")))
        else:
            ops.append(Write("delete", op.item))
    return ops


def customer_items(
    tenant_id: str, record: dict[str, Any], previous: dict[str, Any] | None = None
) -> tuple[list[Item], list[Item]]:
    """The items to put and to delete to store ``record`` over ``previous``, for a batch writer.

    The same items the API writes in one transaction, without its conditions (for loading
    data in bulk; the importer writes ``customer_ops`` with them, a transaction per row).
    """
    ops = customer_ops(tenant_id, record, previous)
    puts = [op.item for op in ops if op.action == "put"]
    deletes = [op.key() for op in ops if op.action == "delete"]
    return puts, deletes


class IndexedCustomer(NamedTuple):
    """What the importer matches rows on, per existing customer."""

    id: str
    name_key: str
    import_id: str | None
    customer_number: str | None
    version: int
    record: dict[str, Any]


def load_customer_index(tenant_id: str) -> list[IndexedCustomer]:
    """Every customer of the tenant (active and archived), from gsi1 Queries: no per-row reads."""
    found = []
    for status in ("active", "archived"):
        for item in read_list("gsi1", list_key(tenant_id, status)):
            record = item.to_record()
            found.append(
                IndexedCustomer(
                    record["id"],
                    name_key(record["name"]),
                    record["import_id"],
                    record["customer_number"],
                    record["version"],
                    record,
                )
            )
    return found


def iter_customers(tenant_id: str, status: str = "active") -> Iterator[dict[str, Any]]:
    """The tenant's customers of ``status`` by name, streamed page by page from gsi1 Queries."""
    for item in read_list("gsi1", list_key(tenant_id, status)):
        yield item.to_record()


def reserve_customer_numbers(tenant_id: str, count: int = 1) -> list[str]:
    """``count`` fresh customer numbers (C000001, …) from the tenant's atomic counter."""
    last = reserve_customer_number_block(tenant_id, count)
    return [format_customer_number(n) for n in range(last - count + 1, last + 1)]


def reserve_customer_number_block(tenant_id: str, count: int) -> int:
    """Advance the counter by ``count``: the block is the ``count`` numbers ending at the result."""
    bind()
    counter = CounterItem(f"{tenant_id}#COUNTER", "customer_number")
    counter.update(actions=[CounterItem.value.add(count), CounterItem.entity.set("counter")])
    return int(counter.value)


def release_customer_numbers(tenant_id: str, last: int, unused: int) -> bool:
    """Give back a block's ``unused`` tail if nobody has reserved after it (else keep the gap)."""
    bind()
    counter = CounterItem(f"{tenant_id}#COUNTER", "customer_number")
    try:
        counter.update(
            actions=[CounterItem.value.add(-unused)], condition=CounterItem.value == last
        )
    except UpdateError as exc:
        if conditional_failed(exc):
            return False
        raise
    return True


# ---------------------------------------------------------------- references


def _billing_ops(tenant_id: str, record: dict, previous: dict | None) -> list[Op]:
    """Checks of the billing customer: it exists here, is active, and the chain does not loop.

    Every customer walked is condition-checked in the transaction, so two concurrent
    changes cannot close a loop between them.
    """
    target = (record.get("billing") or {}).get("billing_customer_id")
    before = ((previous or {}).get("billing") or {}).get("billing_customer_id")
    if not target or target == before:
        return []
    path = "billing.billing_customer_id"
    walked: dict[str, CustomerItem] = {}

    def billing_customer_of(customer_id: str) -> str | None:
        item = _find(tenant_id, customer_id)
        if item is None:
            return None
        walked[customer_id] = item
        return item.billing_customer_id

    loop = find_billing_loop(record["id"], target, billing_customer_of)
    if target not in walked:
        raise ValidationFailed([FieldError(path, "is not a customer of this account")])
    if walked[target].status != "active":
        raise ValidationFailed([FieldError(path, "is an archived customer")])
    if loop:
        raise ValidationFailed([loop])
    return [
        Op("check", item, CustomerItem.version == item.version, stale("billing customer"))
        for item in walked.values()
    ]


# ---------------------------------------------------------------- reads and writes


def _find(tenant_id: str, customer_id: str) -> CustomerItem | None:
    bind()
    try:
        return CustomerItem.get(
            customer_pk(tenant_id, customer_id), CUSTOMER_SK, consistent_read=True
        )
    except CustomerItem.DoesNotExist:
        return None


def require_customer(tenant_id: str, customer_id: str) -> CustomerItem:
    """The customer's item, or NotFound (also for another tenant's id)."""
    item = _find(tenant_id, customer_id)
    if item is None:
        raise NotFound("No customer with that id.", title="Customer not found")
    return item


def get_customer(tenant_id: str, customer_id: str) -> dict[str, Any]:
    return require_customer(tenant_id, customer_id).to_record()


def insert_customer(
    tenant_id: str, customer_id: str, prepared: dict, by: str | None
) -> dict[str, Any]:
    """Store a new customer, prepared by the domain, in one transaction with claims and tokens.

    A customer without a ``customer_number`` is numbered from the tenant's counter (a
    number taken by hand meanwhile: the next one). Raises Conflict for a taken name,
    number or import id; ValidationFailed for a billing customer that is unknown,
    archived or makes a loop.
    """
    now = now_iso()
    record = {
        **prepared,
        "id": customer_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": by,
        "updated_by": by,
    }
    checks = _billing_ops(tenant_id, record, None)
    generated = record["customer_number"] is None
    for _attempt in range(5):
        if generated:
            record["customer_number"] = reserve_customer_numbers(tenant_id)[0]
        ops = customer_ops(tenant_id, record, None)
        if generated:
            for op in ops:
                if op.pk.startswith(f"{tenant_id}#UNIQUE#{NUMBER_SCOPE}#"):
                    op.on_fail = lambda: NumberTaken("generated number taken")
        try:
            transact(ops + checks)
            return record
        except NumberTaken:
            continue
    raise Conflict("Could not give the customer a free number; try again.")


def save_customer(tenant_id: str, prepared: dict, previous: dict, by: str | None) -> dict[str, Any]:
    """Write ``prepared`` over the stored ``previous`` in one transaction, on its version.

    Claims and search tokens move with the record; the billing chain is checked as on
    insert. A record without a number keeps the one it had.
    """
    if prepared.get("customer_number") is None:
        prepared = {**prepared, "customer_number": previous["customer_number"]}
    record = {
        **prepared,
        "version": previous["version"] + 1,
        "updated_at": now_iso(),
        "updated_by": by,
    }
    transact(customer_ops(tenant_id, record, previous) + _billing_ops(tenant_id, record, previous))
    return record


def first_active_site(tenant_id: str, customer_id: str) -> dict[str, Any] | None:
    """One active customer billed to ``customer_id``, or None: a Query of a few items per
    shard (at once)."""
    sites, _ = list_customers(tenant_id, billing_customer_id=customer_id, limit=1, cursor=None)
    return sites[0] if sites else None


def list_customers(
    tenant_id: str,
    *,
    status: str = "active",
    limit: int,
    cursor: str | None,
    **filters: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of customers sorted by name, from the index of the first filter given.

    Each filter has its own index (``FILTER_INDEXES``); when several are given, the
    first picks the index and the rest filter its items. The page merges the list's shards
    (``read_list``); the cursor holds the last sort key returned, so the next page restarts
    every shard after it. A cursor of another kind is BadRequest.
    """
    after = decode_after(cursor, "customers")
    given = {k: v for k, v in filters.items() if v}
    chosen = next((f for f in FILTER_INDEXES if f in given), None)
    if chosen is None:
        index, key = "gsi1", list_key(tenant_id, status)
    else:
        index, facet = FILTER_INDEXES[chosen]
        key = list_key(tenant_id, status, facet, given[chosen])
    condition = None
    for field, value in given.items():
        if field != chosen:
            term = getattr(CustomerItem, field) == value
            condition = term if condition is None else condition & term
    # A page's customers are spread about evenly over the shards (a hash of the id): twice
    # a shard's share per request reads most pages in one round of requests.
    page_size = 2 * math.ceil(limit / LIST_SHARDS) + 1
    read = read_list(index, key, after=after, filter_condition=condition, page_size=page_size)
    items = list(islice(read, limit + 1))
    nxt = (
        encode_after(getattr(items[limit - 1], f"{index}sk"), "customers")
        if len(items) > limit
        else None
    )
    return [item.to_record() for item in items[:limit]], nxt


def list_sites(
    tenant_id: str, customer_id: str, *, status: str = "active", limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The customers billed to ``customer_id``, by name (gsi5)."""
    if _find(tenant_id, customer_id) is None:
        raise NotFound("No customer with that id.", title="Customer not found")
    return list_customers(
        tenant_id, status=status, limit=limit, cursor=cursor, billing_customer_id=customer_id
    )


def get_customers(tenant_id: str, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The customers of ``ids`` that exist, in that order: BatchGetItem (100 keys a request)."""
    bind()
    ids = list(ids)
    keys = [(customer_pk(tenant_id, i), CUSTOMER_SK) for i in ids]
    found = {item.id: item.to_record() for item in CustomerItem.batch_get(keys)}
    return [found[i] for i in ids if i in found]
