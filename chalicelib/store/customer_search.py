"""``GET /v1/customers?q=``: candidates from the search entries, the name index and the number
claims, checked against every query word and filter, returned in name order.

Each lead word's search entries are read whole, up to MAX_ENTRIES: an entry carries its
customer's sort key and match words, so the page is picked from them in name order and only
its customers are read, wherever the matches lie in the name order. The name index is read
in order from the cursor on, by the lead as a prefix, until it gives one match more than a
page (at most MAX_CANDIDATES customers). The page is the smallest keys of all of them after
the cursor, which holds the last key returned. A query broader than that (tens of thousands
of customers match "a") walks the name index in order instead, checking each customer's own
words (contacts are not read on that path), at most MAX_WALK customers per page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from chalicelib.domain.search import (
    QueryOption,
    customer_match_words,
    fold,
    matches,
    parse_query,
    sort_key,
)
from chalicelib.store.base import bind, decode_after, encode_after, page_and_next, reads
from chalicelib.store.customers import (
    CUSTOMER_SK,
    LIST_SHARDS,
    NUMBER_SCOPE,
    CustomerItem,
    customer_pk,
    list_customers,
    list_key,
    read_list,
)
from chalicelib.store.records import UniqueClaim, claim_key
from chalicelib.store.search_entries import (
    ENTRY_READ,
    ENTRY_READ_KEYED,
    SearchEntryItem,
    entry_facets,
    entry_queries,
)

# Customers (large items) a lead may read: by name prefix, or as the owners of contacts' entries.
MAX_CANDIDATES = 500
# Entries a lead may read. An entry is a third to half the size of even a bare customer (338
# and 361 bytes against 615, bench/item_size.py on the bench's customers), so reading 2,000
# costs DynamoDB about the read units of the 1,000 customers a walk's page may read.
MAX_ENTRIES = 2000
MAX_WALK = 1000
Record = dict[str, Any]


class _TooBroad(Exception):
    """More candidates than a page may read: the name index is walked instead."""


def search_customers(
    tenant_id: str,
    q: str,
    *,
    status: str = "active",
    limit: int,
    cursor: str | None,
    country: str = "AU",
    **filters: str | None,
) -> tuple[list[Record], str | None]:
    """One page of the customers matching ``q`` (see ``domain.search.parse_query``), by name.

    ``country`` (ISO alpha-2) reads national phone numbers. Filters as ``list_customers``.
    A cursor from another list (or forged) is BadRequest.
    """
    options = parse_query(q, country)
    if not options:
        return list_customers(tenant_id, status=status, limit=limit, cursor=cursor, **filters)
    bind()
    after = decode_after(cursor, "search")
    wanted = {"status": status, **{k: v for k, v in filters.items() if v}}
    try:
        found, records = _candidates(tenant_id, options, wanted, after, limit)
    except _TooBroad:
        return _walk_names(tenant_id, options, wanted, limit=limit, after=after)
    ordered = sorted(key for key in found if after is None or key > after)
    page = ordered[:limit]
    ids = [found[key] for key in page]
    missing = [i for i in ids if i not in records]
    records |= _batch_get(tenant_id, missing)
    nxt = encode_after(page[-1], "search") if len(ordered) > limit else None
    return [records[i] for i in ids if i in records], nxt


def _candidates(
    tenant_id: str,
    options: list[QueryOption],
    wanted: dict[str, str],
    after: str | None,
    limit: int,
) -> tuple[dict[str, str], dict[str, Record]]:
    """({"<sort>#<id>": id} of the matches, the records already read on the way): every match
    after ``after`` up to the ``limit``-th at least; _TooBroad past a lead's caps.

    The entries are read whole; the name index from ``after`` on until one of its matches
    more than ``limit``, so no match smaller than a page's last one is missed.
    """
    found: dict[str, str] = {}
    records: dict[str, Record] = {}
    to_check: list[tuple[str, frozenset[str], QueryOption]] = []  # (customer, extra words, …)
    for option in options:
        for lead in option.leads:
            names = _names(tenant_id, wanted["status"], lead, after, limit)  # runs meanwhile
            # An entry is read by a word starting with the lead, and each indexed word starts
            # with one of the record's match words (SearchTerms): when the lead is the query's
            # one word, the entry's key proves it and its match words are not read.
            proven = option.words == (lead,)
            for entry in _entries(tenant_id, lead, read_match=not proven):
                words = (lead,) if proven else entry.match
                if entry.contact_id is not None:
                    to_check.append((entry.customer_id, frozenset(words), option))
                elif all(getattr(entry, k) == v for k, v in wanted.items()) and matches(
                    words, option.words
                ):
                    found[f"{entry.sort}#{entry.customer_id}"] = entry.customer_id
            for record in _name_matches(names, option, wanted, limit):
                records[record["id"]] = record
                found[_key(record)] = record["id"]
        if option.number:
            owner = _number_owner(tenant_id, option.number)
            if owner:
                to_check.append((owner, frozenset(), option))
    records |= _batch_get(tenant_id, {c for c, _, _ in to_check} - records.keys())
    for customer_id, extra, option in to_check:
        record = records.get(customer_id)
        if record is not None and _record_matches(record, option, wanted, extra):
            found[_key(record)] = customer_id
    return found, records


def _entries(tenant_id: str, lead: str, read_match: bool = True) -> list[SearchEntryItem]:
    """Entries with a word starting with ``lead`` in every shard, in the table and gsi1,
    without their match words unless ``read_match``; _TooBroad past MAX_ENTRIES, or past
    MAX_CANDIDATES contacts' (each costs a customer read).

    The Queries run at once, each first reading its even share of MAX_ENTRIES + 1 (a lead
    under the cap whose entries are spread evenly costs one round); those cut short read on,
    at once, their even share of what could still keep the lead under MAX_ENTRIES, until all
    are read or the entries read pass it (a too-broad lead costs about MAX_ENTRIES entries,
    not 16 ×). A Query's limit caps the items it reads, so the first round's size changes
    the requests a lead costs, not its read units.
    """
    queries = entry_queries(tenant_id, lead, ENTRY_READ if read_match else ENTRY_READ_KEYED)
    limit = math.ceil((MAX_ENTRIES + 1) / len(queries))
    found: list[SearchEntryItem] = []
    pending: list[tuple[Any, Any]] = [(query, None) for query in queries]
    while pending:
        parts = list(reads().map(lambda part, limit=limit: _read_on(*part, limit), pending))
        pending = [(query, after) for query, entries, after in parts if after is not None]
        found += [entry for _, entries, _ in parts for entry in entries]
        contacts = sum(entry.contact_id is not None for entry in found)
        if len(found) > MAX_ENTRIES or contacts > MAX_CANDIDATES:
            raise _TooBroad
        limit = math.ceil((MAX_ENTRIES + 1 - len(found)) / max(len(pending), 1))
    return found


def _read_on(query, after, limit: int) -> tuple[Any, list[SearchEntryItem], Any]:
    """(query, up to ``limit`` of its entries after ``after``, where it stopped or None)."""
    entries, rest = page_and_next(query(limit, after), limit)
    return query, entries, rest


def _names(
    tenant_id: str, status: str, lead: str, after: str | None, limit: int
) -> Iterator[CustomerItem]:
    """Customers whose sort key (folded name) starts with ``lead``, after ``after``, in name
    order: the name index, a Query per shard, started at once, each request reading twice a
    shard's even share of a page and one more (as a list's page)."""
    return read_list(
        "gsi1",
        list_key(tenant_id, status),
        after=after,
        prefix=fold(lead),
        page_size=2 * math.ceil((limit + 1) / LIST_SHARDS) + 1,
    )


def _name_matches(
    names: Iterator[CustomerItem], option: QueryOption, wanted: dict[str, str], limit: int
) -> list[Record]:
    """The customers of ``names`` matching ``option``, up to ``limit`` + 1 of them (every
    match before the last one found is then found); _TooBroad after MAX_CANDIDATES read."""
    found: list[Record] = []
    for record in (item.to_record() for item in islice(names, MAX_CANDIDATES)):
        if _record_matches(record, option, wanted):
            found.append(record)
            if len(found) > limit:
                return found
    if next(names, None) is not None:
        raise _TooBroad
    return found


def _number_owner(tenant_id: str, number: str) -> str | None:
    """The customer holding ``number`` (e.g. "C000002"), from its uniqueness claim."""
    try:
        claim = UniqueClaim.get(claim_key(tenant_id, NUMBER_SCOPE, number), "UNIQUE")
    except UniqueClaim.DoesNotExist:
        return None
    return claim.owner_id


def _record_matches(
    record: Record, option: QueryOption, wanted: dict[str, str], extra: Iterable[str] = ()
) -> bool:
    facets = entry_facets(record)
    if any(facets.get(k) != v for k, v in wanted.items()):
        return False
    return matches(customer_match_words(record) | set(extra), option.words)


def _walk_names(
    tenant_id: str,
    options: list[QueryOption],
    wanted: dict[str, str],
    *,
    limit: int,
    after: str | None,
) -> tuple[list[Record], str | None]:
    """A broad query's page: the name index from ``after`` on, each customer checked.

    A walk goes through many pages of every shard (a lead matching 1 customer in 20 reads
    ~500 for a page of 25: 5 pages of each of 8 shards), so each shard's next page is read
    ahead as its current one arrives: ~5 rounds of requests at once instead of ~40 in turn.
    """
    query = read_list(
        "gsi1",
        list_key(tenant_id, wanted["status"]),
        after=after,
        page_size=min(limit * 4, 200) // LIST_SHARDS + 1,
        read_ahead=True,
    )
    page: list[Record] = []
    last = None
    for read, item in enumerate(query, start=1):
        record = item.to_record()
        last = item.gsi1sk
        if any(_record_matches(record, option, wanted) for option in options):
            page.append(record)
        if len(page) == limit or read == MAX_WALK:
            return page, encode_after(last, "search")
    return page, None


def _key(record: Record) -> str:
    return f"{sort_key(record['name'])}#{record['id']}"


def _batch_get(tenant_id: str, ids: Iterable[str]) -> dict[str, Record]:
    keys = [(customer_pk(tenant_id, i), CUSTOMER_SK) for i in sorted(set(ids))]
    if not keys:
        return {}
    return {item.id: item.to_record() for item in CustomerItem.batch_get(keys)}
