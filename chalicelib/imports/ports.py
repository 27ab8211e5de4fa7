"""The two seams the import pipeline needs from the customers module: its rules and its store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

# One DynamoDB write as BatchWriteItem takes it: {"PutRequest": {"Item": …}} or a DeleteRequest.
WriteRequest = dict[str, Any]


@dataclass(frozen=True)
class KnownIds:
    """What validation may accept as a reference: active lookup ids per kind, active users."""

    lookups: dict[str, frozenset[str]] = field(default_factory=dict)
    users: frozenset[str] = frozenset()
    customers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PrepareContext:
    """The tenant's data a record is validated against (no I/O happens during validation)."""

    default_country: str = "AU"
    date_order: str = "DMY"
    custom_fields: tuple[Any, ...] = ()
    known: KnownIds = field(default_factory=KnownIds)


class CustomerRules(Protocol):
    """The one validation of customers, contacts and equipment, shared with the HTTP API.

    Each function takes an API-shaped dict (lookups already ids), returns the stored form and
    raises ValidationFailed listing every bad field.
    """

    def prepare_customer(self, data: dict[str, Any], ctx: PrepareContext) -> dict[str, Any]: ...

    def prepare_contact(self, data: dict[str, Any], ctx: PrepareContext) -> dict[str, Any]: ...

    def prepare_equipment(self, data: dict[str, Any], ctx: PrepareContext) -> dict[str, Any]: ...


@dataclass
class ExistingIndex:
    """A tenant's customers, contacts and equipment as loaded once (one Query each), keyed by id."""

    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    equipment: dict[str, dict[str, Any]] = field(default_factory=dict)


class RecordWriter(Protocol):
    """How prepared records become items: no reads, so a batch of rows is one BatchWriteItem."""

    def load_index(self, tenant_id: str) -> ExistingIndex: ...

    def reserve_customer_numbers(self, tenant_id: str, count: int) -> Callable[[], str]: ...

    def customer_writes(
        self,
        tenant_id: str,
        record: dict[str, Any],
        previous: dict[str, Any] | None,
        *,
        now: str,
        by: str | None,
    ) -> list[WriteRequest]: ...

    def contact_writes(
        self,
        tenant_id: str,
        record: dict[str, Any],
        previous: dict[str, Any] | None,
        *,
        now: str,
        by: str | None,
    ) -> list[WriteRequest]: ...

    def equipment_writes(
        self,
        tenant_id: str,
        record: dict[str, Any],
        previous: dict[str, Any] | None,
        *,
        now: str,
        by: str | None,
    ) -> list[WriteRequest]: ...
