"""The search index's entries: two indexed words of a customer or contact per item, sharded.

An entry is found under one word by its table key and under a second word (when the
record has one more) by its gsi1 key: pk ``<tenant>#SEARCH#<first character of the
word>#<shard>``, sk ``<word>#<customer id>`` (a contact's: ``<word>#<customer id>#<contact
id>``), the same shape in both. The shard (0 … SEARCH_SHARDS-1) is a hash of the customer's
id, so a word every customer shares (a suburb, a postcode, a switchboard number) is spread
over SEARCH_SHARDS partitions instead of heating one; a search queries the lead word's
partition in every shard, in the table and in gsi1. The same functions build the entries
for the API's transactions and the importer's batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute

from chalicelib.domain.search import (
    SearchTerms,
    contact_search_terms,
    customer_search_terms,
    former_indexed_words,
    sort_key,
)
from chalicelib.store.base import TableModel
from chalicelib.store.item_json import Item, Write, keys, strings

# Each search reads SEARCH_SHARDS partitions; the largest partition's share of an import's
# items is about 1/SEARCH_SHARDS of a first character's (bench/search_items.py measures it).
SEARCH_SHARDS = 8
ENTITY = "search_entry"


class SearchEntryItem(TableModel):
    """One indexed word of a customer (``contact_id`` None) or of one of its contacts.

    A customer's entry carries everything a search checks without reading the customer:
    its match words, sort key, status and list filters. A contact's carries the contact's
    match words only; its customer is read to check the rest.
    """

    customer_id = UnicodeAttribute()
    contact_id = UnicodeAttribute(null=True)
    match = UnicodeSetAttribute()
    sort = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    assigned_user_id = UnicodeAttribute(null=True)
    customer_type_id = UnicodeAttribute(null=True)
    lead_source_id = UnicodeAttribute(null=True)
    billing_customer_id = UnicodeAttribute(null=True)


FACETS = ("status", "assigned_user_id", "customer_type_id", "lead_source_id", "billing_customer_id")


@lru_cache(maxsize=8192)  # a customer's entries, list item and children ask for it in turn
def shard_of(customer_id: str, shards: int = SEARCH_SHARDS) -> int:
    """The shard (0 … shards-1) of every entry of a customer and its contacts, and of the
    customer in its lists (``customers.LIST_SHARDS``): stable, a hash of the id."""
    return int.from_bytes(hashlib.blake2b(customer_id.encode(), digest_size=4).digest()) % shards


def entry_pk(tenant_id: str, word: str, shard: int) -> str:
    return f"{tenant_id}#SEARCH#{word[0]}#{shard}"


# (limit, the LastEvaluatedKey to start after or None) -> the entries, in key order; the
# iterable's ``last_evaluated_key`` says where a cut read stopped (None: all read).
EntryQuery = Callable[..., Iterable["SearchEntryItem"]]


# What a search and the duplicates lookup read of an entry: its keys (pk, sk, gsi1's) and
# entity are left out of the answer, about 40 % of an entry's bytes. A broad lead reads up to
# 2,000 entries, and the API's CPU for it goes mostly into botocore parsing each attribute
# value and PynamoDB making models (docs/decisions/local-stack.md). DynamoDB still counts the
# read units of the whole item; LastEvaluatedKey comes back whatever is projected.
ENTRY_READ = ("customer_id", "contact_id", "match", "sort", *FACETS)
# What a search reads of an entry when the entry's key already proves the query's one word
# (``customer_search``): its match words are most of an entry's values (a customer's ~8),
# and a third of what botocore spends parsing a broad lead's entries (1,000 entries: 49 ms
# with them, 32 without; half the bytes).
ENTRY_READ_KEYED = tuple(name for name in ENTRY_READ if name != "match")


def entry_queries(
    tenant_id: str, prefix: str, attributes: tuple[str, ...] = ENTRY_READ
) -> list[EntryQuery]:
    """The Queries that together read every entry with a word starting with ``prefix``: one
    per shard in the table and one per shard in gsi1, each called with a limit (None: all)
    and optionally ``after``, the ``last_evaluated_key`` of its previous, cut read.

    The entries come back with ``attributes`` only (ENTRY_READ or ENTRY_READ_KEYED; not
    their keys): an attribute left out is its default on the model (None)."""
    projected = list(attributes)  # PynamoDB takes a list only
    queries: list[EntryQuery] = []
    for shard in range(SEARCH_SHARDS):
        pk = entry_pk(tenant_id, prefix, shard)
        queries.append(
            lambda limit, after=None, pk=pk: SearchEntryItem.query(
                pk,
                SearchEntryItem.sk.startswith(prefix),
                limit=limit,
                last_evaluated_key=after,
                attributes_to_get=projected,
            )
        )
        queries.append(
            lambda limit, after=None, pk=pk: SearchEntryItem.gsi1.query(
                pk,
                SearchEntryItem.gsi1sk.startswith(prefix),
                limit=limit,
                last_evaluated_key=after,
                attributes_to_get=projected,
            )
        )
    return queries


def _pairs(words: Iterable[str]) -> list[tuple[str, str | None]]:
    """The indexed words two by two, in order: (the table key's word, gsi1's word or None)."""
    ordered = sorted(words)
    return [
        (ordered[i], ordered[i + 1] if i + 1 < len(ordered) else None)
        for i in range(0, len(ordered), 2)
    ]


def entry_facets(record: Mapping[str, Any]) -> dict[str, Any]:
    """What a customer's entries carry besides its words: sort key, status and list filters."""
    return {
        "sort": sort_key(record.get("name") or ""),
        "status": record.get("status") or "active",
        "assigned_user_id": record.get("assigned_user_id"),
        "customer_type_id": record.get("customer_type_id"),
        "lead_source_id": record.get("lead_source_id"),
        "billing_customer_id": (record.get("billing") or {}).get("billing_customer_id"),
    }


def entry_item(
    tenant_id: str,
    customer_id: str,
    word: str,
    contact_id: str | None = None,
    match: frozenset[str] | None = None,
    carried: Mapping[str, str | None] | None = None,
    second: str | None = None,
) -> Item:
    """One entry's item as DynamoDB JSON (what SearchEntryItem's ``serialize()`` gives): its
    key (``word``), its gsi1 key (``second``, the word it carries for the index, if any),
    owner, ``match`` words (None: the key only, for a delete) and ``carried`` facets."""
    tail = f"#{customer_id}" + (f"#{contact_id}" if contact_id else "")
    shard = shard_of(customer_id)
    item = keys(entry_pk(tenant_id, word, shard), f"{word}{tail}", ENTITY)
    item["customer_id"] = {"S": customer_id}
    if contact_id is not None:
        item["contact_id"] = {"S": contact_id}
    if second:
        item["gsi1pk"] = {"S": entry_pk(tenant_id, second, shard)}
        item["gsi1sk"] = {"S": f"{second}{tail}"}
    if match:
        item["match"] = {"SS": sorted(match)}
    if carried:
        item |= strings(carried)
    return item


def _moves(
    tenant_id: str,
    customer_id: str,
    terms: SearchTerms,
    old_terms: SearchTerms | None,
    carried: dict[str, Any],
    old_carried: dict[str, Any] | None,
    contact_id: str | None = None,
) -> list[Write]:
    """Put every entry when anything an entry carries changed (words pair up anew); delete
    the entries whose table word is no longer one."""
    writes: list[Write] = []
    pairs = _pairs(terms.indexed)
    unchanged = old_terms == terms and old_carried == carried
    if not unchanged:
        for word, second in pairs:
            item = entry_item(
                tenant_id, customer_id, word, contact_id, terms.match, carried, second
            )
            writes.append(Write("put", item))
    old_keys = {word for word, _ in _pairs(old_terms.indexed)} if old_terms else set()
    gone = old_keys - {word for word, _ in pairs}
    writes += [
        Write("delete", entry_item(tenant_id, customer_id, w, contact_id)) for w in sorted(gone)
    ]
    return writes


def customer_entry_ops(
    tenant_id: str, record: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> list[Write]:
    """The search entries to put and delete when ``record`` is stored over ``previous``.

    The one function that makes a customer's entries: the API's transactions
    (``customer_ops``) and the importer's batches both call it.
    """
    terms = customer_search_terms(record)
    old = customer_search_terms(previous) if previous else None
    old_carried = entry_facets(previous) if previous else None
    return _moves(tenant_id, record["id"], terms, old, entry_facets(record), old_carried)


def contact_entry_ops(
    tenant_id: str, contact: Mapping[str, Any] | None, previous: Mapping[str, Any] | None
) -> list[Write]:
    """The entries to put and delete when ``contact`` is stored over ``previous`` (None: the
    contact is deleted). Counted against the contact, they point to its customer."""
    subject = contact or previous
    assert subject is not None
    terms = contact_search_terms(contact) if contact else SearchTerms(frozenset(), frozenset())
    old = contact_search_terms(previous) if previous else None
    return _moves(
        tenant_id, subject["customer_id"], terms, old, {}, {} if previous else None, subject["id"]
    )


def former_entry_ops(tenant_id: str, record: Mapping[str, Any]) -> list[Write]:
    """Deletes of the entries earlier layouts wrote for the stored customer ``record`` and
    this one does not: one item per indexed word, the postcode's own (now the site
    address' word). For ``search_reindex``; deleting an absent item costs a write, no harm."""
    now = customer_search_terms(record).indexed
    return _former(tenant_id, record["id"], now, now | former_indexed_words(record))


def former_contact_entry_ops(tenant_id: str, contact: Mapping[str, Any]) -> list[Write]:
    """As ``former_entry_ops``, for a stored contact (one item per indexed word before)."""
    now = contact_search_terms(contact).indexed
    return _former(tenant_id, contact["customer_id"], now, now, contact["id"])


def _former(
    tenant_id: str,
    customer_id: str,
    now: frozenset[str],
    words: frozenset[str],
    contact_id: str | None = None,
) -> list[Write]:
    kept = {word for word, _ in _pairs(now)}
    return [
        Write("delete", entry_item(tenant_id, customer_id, word, contact_id))
        for word in sorted(words - kept)
    ]
