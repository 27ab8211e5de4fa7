"""``GET /v1/customers?q=``: candidates from the search entries, the name index and the number
claims, checked against every query word and filter, returned in name order.

A query reads at most MAX_CANDIDATES entries (over all shards) and as many names per lead
word; the candidates are sorted by the customers' sort keys and paged with a cursor holding
the last key returned. A query broader than that (thousands of customers match "a") walks
the name index in order instead, checking each customer's own words (contacts are not
read on that path), at most MAX_WALK customers per page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from chalicelib.domain.search import (
    QueryOption,
    customer_search_terms,
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
    SearchEntryItem,
    entry_facets,
    entry_queries,
)

MAX_CANDIDATES = 500
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
        found, records = _candidates(tenant_id, options, wanted)
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
    tenant_id: str, options: list[QueryOption], wanted: dict[str, str]
) -> tuple[dict[str, str], dict[str, Record]]:
    """({"<sort>#<id>": id} of every match, the records already read on the way)."""
    found: dict[str, str] = {}
    records: dict[str, Record] = {}
    to_check: list[tuple[str, frozenset[str], QueryOption]] = []  # (customer, extra words, …)
    for option in options:
        for lead in option.leads:
            names = _names(tenant_id, wanted["status"], lead)  # runs while entries are read
            for entry in _entries(tenant_id, lead):
                if entry.contact_id is not None:
                    to_check.append((entry.customer_id, frozenset(entry.match), option))
                elif all(getattr(entry, k) == v for k, v in wanted.items()) and matches(
                    entry.match, option.words
                ):
                    found[f"{entry.sort}#{entry.customer_id}"] = entry.customer_id
            for record in _at_most_candidates(names):
                records[record["id"]] = record
                if _record_matches(record, option, wanted):
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


def _entries(tenant_id: str, lead: str) -> list[SearchEntryItem]:
    """Entries with a word starting with ``lead`` in every shard, in the table and gsi1;
    _TooBroad past MAX_CANDIDATES.

    The Queries run at once, each first reading twice its even share of MAX_CANDIDATES (a
    broad lead costs about 2 x MAX_CANDIDATES entries, not 16 x); those cut short read on,
    at once, as many as could still keep the lead under the cap, until all are read or the
    entries read pass it.
    """
    queries = entry_queries(tenant_id, lead)
    limit = 2 * math.ceil((MAX_CANDIDATES + 1) / len(queries))
    found: list[SearchEntryItem] = []
    pending: list[tuple[Any, Any]] = [(query, None) for query in queries]
    while pending:
        parts = list(reads().map(lambda part, limit=limit: _read_on(*part, limit), pending))
        pending = [(query, after) for query, entries, after in parts if after is not None]
        found += [entry for _, entries, _ in parts for entry in entries]
        if len(found) > MAX_CANDIDATES:
            raise _TooBroad
        limit = MAX_CANDIDATES + 1 - len(found)
    return found


def _read_on(query, after, limit: int) -> tuple[Any, list[SearchEntryItem], Any]:
    """(query, up to ``limit`` of its entries after ``after``, where it stopped or None)."""
    entries, rest = page_and_next(query(limit, after), limit)
    return query, entries, rest


def _names(tenant_id: str, status: str, lead: str) -> Iterator[CustomerItem]:
    """Customers whose sort key (folded name) starts with ``lead``: the name index, a Query
    per shard, started at once. Each request reads twice a shard's even share of
    MAX_CANDIDATES, so a broad lead costs about 2 × MAX_CANDIDATES items, not 8 ×."""
    return read_list(
        "gsi1",
        list_key(tenant_id, status),
        prefix=fold(lead),
        page_size=2 * math.ceil((MAX_CANDIDATES + 1) / LIST_SHARDS),
    )


def _at_most_candidates(items: Iterator[CustomerItem]) -> list[Record]:
    found = [item.to_record() for item in islice(items, MAX_CANDIDATES + 1)]
    if len(found) > MAX_CANDIDATES:
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
    return matches(customer_search_terms(record).match | set(extra), option.words)


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
