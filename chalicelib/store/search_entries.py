"""The search index's entries: one item per indexed word of a customer or contact, sharded.

An entry's pk is ``<tenant>#SEARCH#<first character of the word>#<shard>`` and its sk
``<word>#<customer id>`` (a contact's: ``<word>#<customer id>#<contact id>``). The shard
(0 … SEARCH_SHARDS-1) is a hash of the customer's id, so a word every customer shares (a
suburb, a postcode, a switchboard number) is spread over SEARCH_SHARDS partitions instead
of heating one; a search queries the lead word's partition in every shard. The same
functions build the entries for the API's transactions and the importer's batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
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
from chalicelib.store.records import Op

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


def shard_of(customer_id: str) -> int:
    """The shard of every entry of a customer and its contacts (stable: a hash of the id)."""
    return int.from_bytes(hashlib.blake2b(customer_id.encode(), digest_size=4).digest()) % (
        SEARCH_SHARDS
    )


def entry_pk(tenant_id: str, word: str, shard: int) -> str:
    return f"{tenant_id}#SEARCH#{word[0]}#{shard}"


def search_partitions(tenant_id: str, lead: str) -> list[str]:
    """The partitions holding entries that start with ``lead``: one per shard."""
    return [entry_pk(tenant_id, lead, shard) for shard in range(SEARCH_SHARDS)]


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


def _entry(tenant_id: str, customer_id: str, word: str, contact_id: str | None = None):
    sk = f"{word}#{customer_id}" + (f"#{contact_id}" if contact_id else "")
    item = SearchEntryItem(entry_pk(tenant_id, word, shard_of(customer_id)), sk, entity=ENTITY)
    item.customer_id, item.contact_id = customer_id, contact_id
    return item


def _moves(
    tenant_id: str,
    customer_id: str,
    terms: SearchTerms,
    old_terms: SearchTerms | None,
    carried: dict[str, Any],
    old_carried: dict[str, Any] | None,
    contact_id: str | None = None,
) -> list[Op]:
    """Put every entry when anything an entry carries changed; delete the words that went."""
    ops: list[Op] = []
    unchanged = old_terms == terms and old_carried == carried
    if not unchanged:
        for word in sorted(terms.indexed):
            item = _entry(tenant_id, customer_id, word, contact_id)
            item.match = set(terms.match)
            for key, value in carried.items():
                setattr(item, key, value)
            ops.append(Op("save", item))
    gone = (old_terms.indexed if old_terms else frozenset()) - terms.indexed
    ops += [Op("delete", _entry(tenant_id, customer_id, w, contact_id)) for w in sorted(gone)]
    return ops


def customer_entry_ops(
    tenant_id: str, record: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> list[Op]:
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
) -> list[Op]:
    """The entries to put and delete when ``contact`` is stored over ``previous`` (None: the
    contact is deleted). Counted against the contact, they point to its customer."""
    subject = contact or previous
    assert subject is not None
    terms = contact_search_terms(contact) if contact else SearchTerms(frozenset(), frozenset())
    old = contact_search_terms(previous) if previous else None
    return _moves(
        tenant_id, subject["customer_id"], terms, old, {}, {} if previous else None, subject["id"]
    )


def former_entry_ops(tenant_id: str, record: Mapping[str, Any]) -> list[Op]:
    """Deletes of the entries an earlier layout wrote for the stored customer ``record`` and
    this one does not (the words its duplicate-key words now cover): ``search_reindex``."""
    now = customer_search_terms(record).indexed
    gone = former_indexed_words(record) - now
    return [Op("delete", _entry(tenant_id, record["id"], word)) for word in sorted(gone)]
