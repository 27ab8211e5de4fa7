"""Exports the register as one workbook in the template's format, so it can be imported again."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.imports.catalog.definitions import LOOKUP_COLUMNS
from chalicelib.imports.catalog.fields import fields_for, template_custom_fields
from chalicelib.imports.catalog.model import TARGETS, CustomFieldLike, ImportField
from chalicelib.imports.read.rows import SHEET_TARGETS, customer_sheet_name

log = logging.getLogger("sitebook.exports")


@dataclass
class Names:
    """Ids → what a template cell says: lookup and user names, customers' import ID or name."""

    lookups: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)

    def remember_customer(self, record: Mapping[str, Any]) -> None:
        # The import ID is the stabler key; a name is unique per tenant too.
        self.customers[record["id"]] = record.get("import_id") or record["name"]


def cell_value(f: ImportField, record: Mapping[str, Any], names: Names) -> Any:
    """What the template column ``f`` holds for ``record``, in the form the importer reads."""
    if f.key in LOOKUP_COLUMNS:
        attribute, kind = LOOKUP_COLUMNS[f.key]
        return names.lookups.get(kind, {}).get(record.get(attribute) or "")
    if f.key == "assigned_user":
        return names.users.get(record.get("assigned_user_id") or "")
    if f.key == "customer":
        return names.customers.get(record.get("customer_id") or "")
    if f.key == "billing_customer":
        billed_to = (record.get("billing") or {}).get("billing_customer_id")
        return names.customers.get(billed_to) if billed_to else None
    value: Any = record
    for part in f.key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if f.type == "boolean":
        return None if value is None else ("Yes" if value else "No")
    if f.type == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _rows(fields: list[ImportField], records: Iterable[Mapping], names: Names) -> Iterator[list]:
    for record in records:
        yield [cell_value(f, record, names) for f in fields]


@dataclass
class Register:
    """Where an export reads from: injected so tests and the worker share one code path.

    ``contacts`` and ``equipment`` stream every child of the tenant, whatever its customer.
    """

    customers: Callable[[], Iterable[dict[str, Any]]]
    contacts: Callable[[], Iterable[dict[str, Any]]]
    equipment: Callable[[], Iterable[dict[str, Any]]]


def write_export(
    path: str | os.PathLike[str],
    register: Register,
    names: Names,
    *,
    customer_label: str = "Customer",
    custom_fields: Iterable[CustomFieldLike] = (),
    targets: Iterable[str] = TARGETS,
) -> dict[str, int]:
    """Stream the register to ``path`` as a template workbook; returns rows written per target.

    The columns are the template's for ``customer_label`` and ``custom_fields`` (active ones).

    Customers are read twice (Customers, then Sites); the first pass also remembers each
    customer's reference (a Customers sheet holds no billing links: those rows are Sites), so
    only ids and short names stay in memory, never the records. Contacts and equipment are
    each one stream; a child whose customer is not exported (an archived one) is left out.
    """
    from chalicelib.xlsx.writer import SheetSpec, write_workbook

    wanted = [t for t in TARGETS if t in set(targets)]
    counts = dict.fromkeys(wanted, 0)
    left_out = dict.fromkeys(wanted, 0)
    sheet_names = {"customers": customer_sheet_name(customer_label)}
    sheet_names.update({target: sheet for sheet, target in SHEET_TARGETS.items()})
    custom_fields = template_custom_fields(custom_fields)

    def learn_references() -> None:
        if not names.customers:  # the Customers sheet was not written first: one pass now
            for record in register.customers():
                names.remember_customer(record)

    def customers(billed: bool, target: str) -> Iterator[dict[str, Any]]:
        if billed:
            learn_references()
        for record in register.customers():
            names.remember_customer(record)
            if bool((record.get("billing") or {}).get("billing_customer_id")) is billed:
                counts[target] += 1
                yield record

    def children(read: Callable[[], Iterable[dict]], target: str) -> Iterator[dict]:
        learn_references()
        for record in read():
            if record.get("customer_id") in names.customers:
                counts[target] += 1
                yield record
            else:
                left_out[target] += 1

    sources = {
        "customers": lambda: customers(False, "customers"),
        "sites": lambda: customers(True, "sites"),
        "contacts": lambda: children(register.contacts, "contacts"),
        "equipment": lambda: children(register.equipment, "equipment"),
    }
    sheets = []
    for target in wanted:
        fields = fields_for(target, customer_label, custom_fields)
        sheets.append(
            SheetSpec(
                name=sheet_names[target],
                headers=[f.label for f in fields],
                rows=_rows(fields, sources[target](), names),
            )
        )
    write_workbook(path, sheets)
    if any(left_out.values()):
        log.info("export left out children of customers not exported: %s", left_out)
    return counts


def tenant_names(tenant_id: str) -> Names:
    """Every lookup (archived ones too: old records still name them) and user, by id."""
    from chalicelib.store.lookups import all_lookups
    from chalicelib.store.users import all_users

    kinds = {kind for _, kind in LOOKUP_COLUMNS.values()}
    return Names(
        lookups={kind: {i.id: i.name for i in all_lookups(tenant_id, kind)} for kind in kinds},
        users={u.id: u.name for u in all_users(tenant_id)},
    )


def tenant_register(tenant_id: str) -> Register:
    """Active customers, every contact and every equipment: each the merge of its gsi1 shards."""
    from chalicelib.store.children import iter_collection
    from chalicelib.store.contacts import ContactItem
    from chalicelib.store.customers import iter_customers
    from chalicelib.store.equipment import EquipmentItem

    return Register(
        customers=lambda: iter_customers(tenant_id, "active"),
        contacts=lambda: iter_collection(ContactItem, tenant_id),
        equipment=lambda: iter_collection(EquipmentItem, tenant_id),
    )
