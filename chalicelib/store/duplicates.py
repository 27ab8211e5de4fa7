"""Duplicate-key items: each customer under every e-mail, phone and site address it has, so the
customers sharing one are a Query away (``GET /v1/customers/{id}/duplicates``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.duplicates import DuplicateKey, duplicate_keys
from chalicelib.store.base import TableModel, bind
from chalicelib.store.item_json import Item, Write, keys

# Customers read per key at most: a key a hundred customers share says little more at 500.
MAX_PER_KEY = 100


class DuplicateKeyItem(TableModel):
    """pk ``<tenant>#DUPKEY#<kind>#<value>``, sk ``<customer id>``: not unique, unlike claims.

    Written with the customer (the API's transaction and the importer's batches alike, through
    ``customers.customer_ops``), moved when the value changes; kinds and values come from
    ``domain.duplicates.duplicate_keys``.
    """

    customer_id = UnicodeAttribute()


def duplicate_key_pk(tenant_id: str, key: DuplicateKey) -> str:
    kind, value = key
    return f"{tenant_id}#DUPKEY#{kind}#{value}"


def duplicate_key_item(tenant_id: str, customer_id: str, key: DuplicateKey) -> Item:
    """A duplicate key's item as DynamoDB JSON (what DuplicateKeyItem's ``serialize()`` gives)."""
    item = keys(duplicate_key_pk(tenant_id, key), customer_id, "duplicate_key")
    item["customer_id"] = {"S": customer_id}
    return item


def duplicate_key_ops(
    tenant_id: str, record: dict[str, Any], previous: dict[str, Any] | None
) -> list[Write]:
    """Items to put for keys ``record`` gains over ``previous`` and to delete for keys it lost."""
    new = duplicate_keys(record)
    old = duplicate_keys(previous) if previous else frozenset()
    customer_id = record["id"]
    return [
        Write("put", duplicate_key_item(tenant_id, customer_id, k)) for k in sorted(new - old)
    ] + [Write("delete", duplicate_key_item(tenant_id, customer_id, k)) for k in sorted(old - new)]


def customers_sharing(tenant_id: str, keys: Iterable[DuplicateKey]) -> list[str]:
    """Ids of the customers holding any of ``keys``: one Query per key (at most MAX_PER_KEY
    items each), in key order then id order, without repeats."""
    bind()
    found: list[str] = []
    for key in sorted(keys):
        for item in DuplicateKeyItem.query(duplicate_key_pk(tenant_id, key), limit=MAX_PER_KEY):
            if item.customer_id not in found:
                found.append(item.customer_id)
    return found
