"""A customer's children (contacts, equipment): their items, one customer's lists, tenant streams.

A child lives in its customer's partition (pk ``<tenant>#CUSTOMER#<customer id>``, sk
``<PREFIX><id>``), so a customer's contacts are one Query. It is also on gsi1 as
``<tenant>#<COLLECTION>#<shard>``, ``<customer id>#<id>``: every contact (or every piece of
equipment) of a tenant in COLLECTION_SHARDS index partitions, read merged in ``<customer
id>#<id>`` order, so an export reads them with one paginated Query per shard instead of one
Query per customer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Self

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.records import BOOKKEEPING_FIELDS
from chalicelib.store.base import VersionedModel, bind, query_page, read_merged
from chalicelib.store.customers import customer_pk, require_customer
from chalicelib.store.item_json import Item, keys, strings
from chalicelib.store.records import get_or_404
from chalicelib.store.search_entries import shard_of

# Each collection is spread over COLLECTION_SHARDS gsi1 partitions, a child's shard a hash of
# its own id. One partition per collection took a child's share of an import's items: 4.8 %
# for the bench's file (a contact per two customers), past issue 12's 5 % with any more
# contacts or equipment per customer. Eight make it 0.6 %, as the customer lists
# (``customers.LIST_SHARDS``); a reader merges eight Queries (docs/access-patterns.md).
COLLECTION_SHARDS = 8


def collection_pk(tenant_id: str, collection: str) -> str:
    """The collection's key before it was sharded: items stored then carry it as their gsi1pk
    until ``search_reindex`` moves them to their shard (``collection_keys``)."""
    return f"{tenant_id}#{collection}"


def collection_shard_pks(tenant_id: str, collection: str) -> list[str]:
    """The gsi1 partition keys of every shard of a tenant's ``collection`` (CONTACTS, EQUIPMENT)."""
    return [_shard_pk(tenant_id, collection, n) for n in range(COLLECTION_SHARDS)]


def _shard_pk(tenant_id: str, collection: str, shard: int) -> str:
    return f"{collection_pk(tenant_id, collection)}#{shard}"


def collection_keys(
    tenant_id: str, collection: str, customer_id: str, child_id: str
) -> tuple[str, str]:
    """gsi1pk and gsi1sk of a child: its shard (a stable hash of the child's id) and a sort key
    by customer, so a customer's children are adjacent in the merged collection."""
    shard = _shard_pk(tenant_id, collection, shard_of(child_id, COLLECTION_SHARDS))
    return shard, f"{customer_id}#{child_id}"


def child_item(
    model: type[CustomerChildItem], tenant_id: str, record: dict[str, Any], fields: tuple
) -> Item:
    """A child's item as DynamoDB JSON: keys, owner, index keys, bookkeeping and the string
    ``fields`` of ``record`` (None left out), as ``model.new(...).serialize()`` gives it."""
    customer_id, child_id = record["customer_id"], record["id"]
    item = keys(customer_pk(tenant_id, customer_id), model.PREFIX + child_id, model.ENTITY)
    item |= strings({"id": child_id, "customer_id": customer_id})
    item |= strings({name: record.get(name) for name in fields})
    item["version"] = {"N": str(int(record["version"]))}
    item |= strings({name: record.get(name) for name in BOOKKEEPING_FIELDS[1:]})
    gsi1pk, gsi1sk = collection_keys(tenant_id, model.COLLECTION, customer_id, child_id)
    item["gsi1pk"], item["gsi1sk"] = {"S": gsi1pk}, {"S": gsi1sk}
    return item


class CustomerChildItem(VersionedModel):
    """Base of ContactItem and EquipmentItem: keys, owner, and the tenant-wide index keys."""

    PREFIX: ClassVar[str] = ""
    COLLECTION: ClassVar[str] = ""
    ENTITY: ClassVar[str] = ""

    id = UnicodeAttribute()
    customer_id = UnicodeAttribute()

    @classmethod
    def new(cls, tenant_id: str, customer_id: str, child_id: str, **values: Any) -> Self:
        """The item of a child of ``customer_id``; the API and the importer both build it here."""
        return cls(
            customer_pk(tenant_id, customer_id),
            cls.PREFIX + child_id,
            entity=cls.ENTITY,
            id=child_id,
            customer_id=customer_id,
            **values,
        )

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, Any]]:
        # Every write of the item passes here (transactions, saves, the importer's batch puts),
        # so the index keys cannot be left out, and an item written before the index existed
        # gets them at its next write.
        owner = f"#CUSTOMER#{self.customer_id}"
        if not self.pk.endswith(owner):
            raise ValueError(f"{self.pk!r} is not the partition of customer {self.customer_id!r}")
        tenant_id = self.pk.removesuffix(owner)
        self.gsi1pk, self.gsi1sk = collection_keys(
            tenant_id, self.COLLECTION, self.customer_id, self.id
        )
        return super().serialize(null_check=null_check)


def list_children(
    model: type[CustomerChildItem],
    tenant_id: str,
    customer_id: str,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of one kind of a customer's children (contacts, equipment): one Query."""
    require_customer(tenant_id, customer_id)
    pk = customer_pk(tenant_id, customer_id)
    items, nxt = query_page(
        lambda **kw: model.query(pk, model.sk.startswith(model.PREFIX), **kw),
        limit=limit,
        cursor=cursor,
        partition=("pk", pk),
    )
    return [item.to_record() for item in items], nxt


def get_child(
    model: type[CustomerChildItem], tenant_id: str, customer_id: str, child_id: str, what: str
) -> Any:
    return get_or_404(model, customer_pk(tenant_id, customer_id), model.PREFIX + child_id, what)


def collection_items(model: type[CustomerChildItem], tenant_id: str) -> Iterator[Any]:
    """Every stored child of ``model``'s kind in the tenant (items), in ``<customer id>#<id>``
    order: the merge of one paginated gsi1 Query per shard (``collection_shard_pks``).

    Children of archived customers are included; the caller decides what to do with them.
    Children stored before the collections were sharded are not, until re-indexed.
    """
    bind()
    shards = collection_shard_pks(tenant_id, model.COLLECTION)
    yield from read_merged(model.gsi1, "gsi1sk", shards)


def iter_collection(model: type[CustomerChildItem], tenant_id: str) -> Iterator[dict[str, Any]]:
    """Every child of ``model``'s kind in the tenant as records, in ``collection_items``' order."""
    for item in collection_items(model, tenant_id):
        yield item.to_record()
