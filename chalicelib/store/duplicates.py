"""Who shares a duplicate key (e-mail, phone, site address) with a customer, read from the
search entries: each key's word (``domain.search.duplicate_word``) is always one of a
customer's indexed words, so the customers sharing it are a prefix Query per shard away
(in the table and gsi1)
(``GET /v1/customers/{id}/duplicates``); no item of its own is written for a key."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.duplicates import DuplicateKey
from chalicelib.domain.search import duplicate_word
from chalicelib.store.base import bind
from chalicelib.store.search_entries import entry_queries

# Customers read per key at most: a key a hundred customers share says little more at 500.
MAX_PER_KEY = 100


def customers_sharing(tenant_id: str, keys: Iterable[DuplicateKey]) -> list[str]:
    """Ids of the customers whose entries hold the word of any of ``keys``: candidates, which
    the caller checks with ``domain.duplicates.possible_duplicates`` (two keys may share a
    word). A Query per shard, in the table and gsi1, per key; at most MAX_PER_KEY customers
    per key; in key order, then shard order, then id order, without repeats. Contacts'
    entries are skipped."""
    bind()
    found: list[str] = []
    for word in sorted({duplicate_word(key) for key in keys}):
        holders: list[str] = []
        for query in entry_queries(tenant_id, f"{word}#"):
            for entry in query(None):
                if entry.contact_id is None and entry.customer_id not in holders:
                    holders.append(entry.customer_id)
                    if len(holders) == MAX_PER_KEY:
                        break
            if len(holders) == MAX_PER_KEY:
                break
        found += [i for i in holders if i not in found]
    return found
