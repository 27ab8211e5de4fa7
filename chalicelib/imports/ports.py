"""The seams of the import pipeline: the customers module's rules and store, and the clients."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain.customers import References
from chalicelib.domain.tenant_settings import TenantSettings

# One entry of TransactWriteItems without its TableName: {"Put": {"Item": …, "Condition…"}} or
# {"Delete": {"Key": …, …}}.
TransactItem = dict[str, Any]
WriteRequest = dict[str, Any]  # a BatchWriteItem request: a ledger entry's put
Record = dict[str, Any]


@dataclass(frozen=True)
class PrepareContext:
    """The tenant's data a record is validated against (no I/O happens during validation)."""

    settings: TenantSettings = field(default_factory=TenantSettings)
    refs: References = field(default_factory=References)
    custom_fields: tuple[Any, ...] = ()


class CustomerRules(Protocol):
    """The one validation of customers, contacts and equipment, shared with the HTTP API.

    ``data`` is API-shaped (lookups already ids) and holds only what the row gives;
    ``existing`` is the stored record it updates, or None to create. The stored form comes
    back; ValidationFailed lists every bad field.
    """

    def prepare_customer(
        self, data: Record, existing: Record | None, ctx: PrepareContext, record_id: str
    ) -> Record: ...

    def prepare_contact(
        self, data: Record, existing: Record | None, ctx: PrepareContext
    ) -> Record: ...

    def prepare_equipment(
        self, data: Record, existing: Record | None, ctx: PrepareContext
    ) -> Record: ...


@dataclass
class ExistingIndex:
    """A tenant's records the importer matches against, keyed by id (loaded before planning)."""

    customers: dict[str, Record] = field(default_factory=dict)
    contacts: dict[str, Record] = field(default_factory=dict)
    equipment: dict[str, Record] = field(default_factory=dict)


class RecordWriter(Protocol):
    """How records are loaded in bulk and become items: no read per row; each record's writes
    carry the conditions that keep it from overwriting a change the plan did not see."""

    def load_customers(self, tenant_id: str) -> dict[str, Record]: ...

    def load_children(
        self, tenant_id: str, customer_ids: Iterable[str]
    ) -> tuple[dict[str, Record], dict[str, Record]]: ...

    def reserve_customer_numbers(self, tenant_id: str, count: int) -> int:
        """Reserve ``count`` customer numbers; the block ends at the sequence returned."""
        ...

    def release_customer_numbers(self, tenant_id: str, last: int, unused: int) -> bool:
        """Give back a block's unused tail if nothing was reserved after it."""
        ...

    def customer_writes(
        self, tenant_id: str, record: Record, previous: Record | None, *, now: str, by: str | None
    ) -> list[TransactItem]: ...

    def contact_writes(
        self, tenant_id: str, record: Record, previous: Record | None, *, now: str, by: str | None
    ) -> list[TransactItem]: ...

    def equipment_writes(
        self, tenant_id: str, record: Record, previous: Record | None, *, now: str, by: str | None
    ) -> list[TransactItem]: ...

    def write_keys(
        self, entity: str, tenant_id: str, record: Record, previous: Record | None
    ) -> list[tuple[str, str]]:
        """What another record's writes may share with this one's, before they are built."""
        ...


@dataclass(frozen=True)
class Ports:
    """Everything the worker's use cases reach outside themselves, built once per invocation.

    ``s3``, ``sqs`` and ``dynamodb`` are boto3 clients; ``after_batch(index)`` runs after each
    written checkpoint group (tests crash the worker there).
    """

    settings: Any
    rules: CustomerRules
    writer: RecordWriter
    s3: Any
    sqs: Any
    dynamodb: Any
    after_batch: Callable[[int], None] = field(default=lambda index: None)
