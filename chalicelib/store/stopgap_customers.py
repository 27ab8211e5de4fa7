"""STOPGAP until branch `customers` lands: the customer, contact and equipment items imports write.

Only ``chalicelib.imports.wiring`` refers to this module, through ``ports.RecordWriter``; the
customers branch's store helpers replace it there. Records keep their stored form in ``data``;
uniqueness claims (name, import id, customer number) are the shared ``UniqueClaim`` items.
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.imports.ports import ExistingIndex, WriteRequest
from chalicelib.store.base import TableModel, VersionedModel, bind
from chalicelib.store.records import UniqueClaim, claim_key, new_claim

CLAIM_SCOPES = {"name": "customer-name", "import_id": "customer-import-id"}
NUMBER_SCOPE = "customer-number"


class CustomerRecord(VersionedModel):
    id = UnicodeAttribute()
    data = JSONAttribute()


class Counter(TableModel):
    value = NumberAttribute(default=0)


def _pk(tenant_id: str, entity: str) -> str:
    return f"{tenant_id}#{entity.upper()}"


class StopgapRecordWriter:
    """Implements ports.RecordWriter over the stop-gap items above."""

    def load_index(self, tenant_id: str) -> ExistingIndex:
        bind()
        index = ExistingIndex()
        for entity, target in (
            ("customer", index.customers),
            ("contact", index.contacts),
            ("equipment", index.equipment),
        ):
            for item in CustomerRecord.query(_pk(tenant_id, entity)):
                target[item.id] = {
                    **item.data,
                    "version": item.version,
                    "created_at": item.created_at,
                    "created_by": item.created_by,
                }
        return index

    def reserve_customer_numbers(self, tenant_id: str, count: int) -> Callable[[], str]:
        """Take ``count`` numbers with one atomic add; gaps after a crash are harmless."""
        bind()
        counter = Counter(_pk(tenant_id, "counter"), "customer_number", entity="counter")
        last = 0
        if count:
            counter.update(actions=[Counter.value.add(count)])
            last = int(counter.value)
        numbers = iter(range(last - count + 1, last + 1))
        return lambda: f"C{next(numbers):06d}"

    def customer_writes(self, tenant_id, record, previous, *, now, by) -> list[WriteRequest]:
        writes = [self._put(tenant_id, "customer", record, previous, now=now, by=by)]
        owner = record["id"]
        scopes = dict(CLAIM_SCOPES, customer_number=NUMBER_SCOPE)
        for field, scope in scopes.items():
            old = (previous or {}).get(field)
            new = record.get(field)
            if old and new and claim_key(tenant_id, scope, old) == claim_key(tenant_id, scope, new):
                continue
            if old:
                key = claim_key(tenant_id, scope, old)
                writes.append({"DeleteRequest": {"Key": {"pk": {"S": key}, "sk": {"S": "UNIQUE"}}}})
            if new:
                claim: UniqueClaim = new_claim(tenant_id, scope, new, owner)
                writes.append({"PutRequest": {"Item": claim.serialize()}})
        return writes

    def contact_writes(self, tenant_id, record, previous, *, now, by) -> list[WriteRequest]:
        return [self._put(tenant_id, "contact", record, previous, now=now, by=by)]

    def equipment_writes(self, tenant_id, record, previous, *, now, by) -> list[WriteRequest]:
        return [self._put(tenant_id, "equipment", record, previous, now=now, by=by)]

    def _put(self, tenant_id, entity, record, previous, *, now, by) -> WriteRequest:
        item = CustomerRecord(
            _pk(tenant_id, entity),
            record["id"],
            entity=entity,
            id=record["id"],
            data=record,
            version=(previous["version"] + 1) if previous else 1,
            created_at=previous["created_at"] if previous else now,
            created_by=previous.get("created_by") if previous else by,
            updated_at=now,
            updated_by=by,
        )
        return {"PutRequest": {"Item": item.serialize()}}
