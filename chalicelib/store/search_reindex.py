"""Re-indexes one tenant's search and lists after their format changed: entries, list keys.

Run once per tenant after deploying a change of the entries' layout (docs/access-patterns.md,
"Existing data"): ``python -m chalicelib.store.search_reindex <tenant id> [...]`` with the
stage's TABLE_NAME (and credentials) in the environment. It is idempotent and safe beside
live traffic: entries are rewritten from the stored records (a concurrent save writes the
same entries), index keys are updated on condition the record's version is unchanged (a
concurrent save already wrote the new keys), and only the old formats' items are deleted:
token items, entries of words no longer indexed, duplicate-key items. Customers written
before the lists were sharded are read from the unsharded list keys and moved to their
shards (``customers.list_shard_key``); contacts and equipment written before their
collections were sharded, likewise (``children.collection_keys``).
"""

from __future__ import annotations

import sys
from collections import Counter
from itertools import chain

from pynamodb.exceptions import UpdateError

from chalicelib.domain.duplicates import duplicate_keys
from chalicelib.domain.lookups import LOOKUP_KINDS
from chalicelib.store.base import TableModel, bind
from chalicelib.store.children import (
    CustomerChildItem,
    collection_items,
    collection_keys,
    collection_pk,
)
from chalicelib.store.contacts import ContactItem
from chalicelib.store.customers import (
    FILTER_INDEXES,
    CustomerItem,
    customer_item,
    list_key,
    read_list,
)
from chalicelib.store.equipment import EquipmentItem
from chalicelib.store.lookups import LookupItem, _index_keys, all_lookups
from chalicelib.store.records import conditional_failed
from chalicelib.store.search_entries import (
    SearchEntryItem,
    contact_entry_ops,
    customer_entry_ops,
    former_contact_entry_ops,
    former_entry_ops,
)

OLD_TOKEN_ENTITY = "search_token"  # one item per token in <tenant>#SEARCH#<first character>


class OldDuplicateKeyItem(TableModel):
    """A customer under one of its duplicate keys, before the search entries held them:
    pk ``<tenant>#DUPKEY#<kind>#<value>``, sk the customer's id."""


def _old_duplicate_keys(tenant_id: str, record: dict) -> list[OldDuplicateKeyItem]:
    return [
        OldDuplicateKeyItem(f"{tenant_id}#DUPKEY#{kind}#{value}", record["id"])
        for kind, value in sorted(duplicate_keys(record))
    ]


def reindex_search(tenant_id: str) -> Counter:
    """Rewrite every customer's and contact's search entries, the customers' list keys (shard
    and sort key), the contacts' and equipment's collection keys (shard) and the lookups' sort
    keys, delete the entries and duplicate-key items earlier layouts wrote for each customer,
    then the tenant's old-format token items. Returns what it did."""
    bind()
    done: Counter = Counter()
    first_characters = set("0123456789abcdefghijklmnopqrstuvwxyz")
    with TableModel.batch_write() as batch:
        for status in ("active", "archived"):
            # The shards first, then the unsharded key of the customers stored before: those
            # re-keyed into a shard move after its Query has ended, and are read once.
            key = list_key(tenant_id, status)
            for item in chain(read_list("gsi1", key), CustomerItem.gsi1.query(key)):
                record = item.to_record()
                for op in customer_entry_ops(tenant_id, record, None):
                    batch.save(SearchEntryItem.from_raw_data(op.item))
                    first_characters.update(w[0] for w in op.item["match"]["SS"])
                    done["customer entries"] += 1
                for op in former_entry_ops(tenant_id, record):
                    batch.delete(SearchEntryItem.from_raw_data(op.item))
                    done["former entries deleted"] += 1
                for old in _old_duplicate_keys(tenant_id, record):
                    batch.delete(old)  # a key it never had costs a write unit, no error
                    done["duplicate-key items deleted"] += 1
                done["customers re-keyed"] += _rekey_customer(tenant_id, item, record)
        for item in _every_child(ContactItem, tenant_id):
            contact = item.to_record()
            for op in contact_entry_ops(tenant_id, contact, None):
                batch.save(SearchEntryItem.from_raw_data(op.item))
                done["contact entries"] += 1
            for op in former_contact_entry_ops(tenant_id, contact):
                batch.delete(SearchEntryItem.from_raw_data(op.item))
                done["former entries deleted"] += 1
            done["contacts re-keyed"] += _rekey_child(tenant_id, item)
        for item in _every_child(EquipmentItem, tenant_id):
            done["equipment re-keyed"] += _rekey_child(tenant_id, item)
        for pk in sorted(f"{tenant_id}#SEARCH#{c}" for c in first_characters):
            for old in TableModel.query(pk):
                if old.entity == OLD_TOKEN_ENTITY:
                    batch.delete(old)
                    done["old tokens deleted"] += 1
    for kind in LOOKUP_KINDS:
        for lookup in all_lookups(tenant_id, kind):
            done["lookups re-keyed"] += _rekey_lookup(lookup)
    return done


def _rekey_customer(tenant_id: str, item: CustomerItem, record: dict) -> int:
    fresh = {name: value["S"] for name, value in customer_item(tenant_id, record).items()
             if "S" in value}  # fmt: skip
    names = [
        f"{index}{part}"
        for index in ("gsi1", *(i for i, _ in FILTER_INDEXES.values()))
        for part in ("pk", "sk")
    ]
    actions = [
        getattr(CustomerItem, name).set(fresh[name])
        for name in names
        if fresh.get(name) is not None and fresh[name] != getattr(item, name)
    ]
    return _update(item, actions, CustomerItem.version == item.version)


def _every_child(model: type[CustomerChildItem], tenant_id: str):
    """Every child of ``model``'s kind: the collection's shards, then its unsharded key (the
    children stored before the shards: those re-keyed move after the shards' Queries ended,
    and are read once)."""
    unsharded = model.gsi1.query(collection_pk(tenant_id, model.COLLECTION))
    return chain(collection_items(model, tenant_id), unsharded)


def _rekey_child(tenant_id: str, item: CustomerChildItem) -> int:
    pk, sk = collection_keys(tenant_id, item.COLLECTION, item.customer_id, item.id)
    actions = [
        getattr(type(item), name).set(value)
        for name, value in (("gsi1pk", pk), ("gsi1sk", sk))
        if getattr(item, name) != value
    ]
    return _update(item, actions, type(item).version == item.version)


def _rekey_lookup(lookup: LookupItem) -> int:
    before = lookup.gsi1sk
    _index_keys(lookup)
    if lookup.gsi1sk == before:
        return 0
    return _update(
        lookup, [LookupItem.gsi1sk.set(lookup.gsi1sk)], LookupItem.version == lookup.version
    )


def _update(item, actions, condition) -> int:
    if not actions:
        return 0
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if conditional_failed(exc):
            return 0  # changed meanwhile: that save wrote the new keys itself
        raise
    return 1


if __name__ == "__main__":
    for tenant in sys.argv[1:]:
        print(tenant, dict(reindex_search(tenant)))
