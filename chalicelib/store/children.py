"""A customer's children (contacts, equipment): their items, one customer's lists, tenant streams.

A child lives in its customer's partition (pk ``<tenant>#CUSTOMER#<customer id>``, sk
``<PREFIX><id>``), so a customer's contacts are one Query. It is also on gsi1 as
``<tenant>#<COLLECTION>``, ``<customer id>#<id>``: every contact (or every piece of equipment)
of a tenant in one index partition, so an export reads them with one paginated Query instead
of one Query per customer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Self

from pynamodb.attributes import UnicodeAttribute

from chalicelib.domain.records import BOOKKEEPING_FIELDS
from chalicelib.store.base import VersionedModel, bind, query_page
from chalicelib.store.customers import customer_pk, require_customer
from chalicelib.store.item_json import Item, keys, strings
from chalicelib.store.records import get_or_404


def collection_pk(tenant_id: str, collection: str) -> str:
    return f"{tenant_id}#{collection}"


def collection_keys(
    tenant_id: str, collection: str, customer_id: str, child_id: str
) -> tuple[str, str]:
    """gsi1pk and gsi1sk of a child: sorted by customer, so a customer's children are adjacent."""
    return collection_pk(tenant_id, collection), f"{customer_id}#{child_id}"


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


def iter_collection(model: type[CustomerChildItem], tenant_id: str) -> Iterator[dict[str, Any]]:
    """Every child of ``model``'s kind in the tenant, by customer id: one paginated gsi1 Query.

    Children of archived customers are included; the caller decides what to do with them.
    """
    bind()
    for item in model.gsi1.query(collection_pk(tenant_id, model.COLLECTION)):
        yield item.to_record()
