"""Stages 3–4: match rows to existing records, link references across sheets, validate, decide.

Pure: it reads the tenant's index loaded once and the rows, and writes nothing. Every row ends
``created``, ``updated``, ``unchanged`` or ``failed``; a bad row never stops the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.customers import find_billing_loop
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.names import derive_customer_name
from chalicelib.domain.values import InvalidValue, clean_text, name_key, parse_bool, parse_date
from chalicelib.imports.fields import fields_for
from chalicelib.imports.ports import CustomerRules, ExistingIndex, PrepareContext
from chalicelib.imports.resolve import LookupIndex
from chalicelib.imports.rows import SheetLayout, SheetRow

ACTIONS = ("created", "updated", "unchanged", "failed")
TARGETS = ("customers", "sites", "contacts", "equipment")
# Kept by the store, not by validation: never compared, never sent to prepare.
BOOKKEEPING = ("version", "created_at", "created_by", "updated_at", "updated_by")
MERGED_OBJECTS = ("site_address", "billing_address", "billing")
_LOOKUP_ID_KEYS = {
    "customer_type": "customer_type_id",
    "lead_source": "lead_source_id",
    "payment_term": "payment_term_id",
    "price_level": "price_level_id",
    "role": "role_id",
    "equipment_type": "equipment_type_id",
}
_ERROR_FIELD_TO_COLUMN = {v: k for k, v in _LOOKUP_ID_KEYS.items()} | {
    "assigned_user_id": "assigned_user",
    "billing.billing_customer_id": "billing_customer",
    "customer_id": "customer",
}


@dataclass(frozen=True)
class RowError:
    """What the user sees of a bad row: where, which column, the value and why."""

    sheet: str
    row: int
    column: str
    value: Any
    message: str

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        elif value is not None and not isinstance(value, int | float | bool | str):
            value = str(value)
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": value,
            "message": self.message,
        }


@dataclass
class RowOutcome:
    row: SheetRow
    entity: str  # customer | contact | equipment
    action: str = "failed"
    record: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Plan:
    outcomes: list[RowOutcome]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        counts = {target: dict.fromkeys(ACTIONS, 0) for target in TARGETS}
        for outcome in self.outcomes:
            counts[outcome.row.target][outcome.action] += 1
        return counts

    @property
    def errors(self) -> list[RowError]:
        return [error for outcome in self.outcomes for error in outcome.errors]


class _Row:
    """Helpers to fail one row with column-accurate errors."""

    def __init__(self, outcome: RowOutcome, layout: SheetLayout) -> None:
        self.outcome = outcome
        self.layout = layout

    def fail(self, key: str, message: str) -> None:
        column = _ERROR_FIELD_TO_COLUMN.get(key, key)
        self.outcome.action = "failed"
        self.outcome.errors.append(
            RowError(
                self.outcome.row.sheet,
                self.outcome.row.row,
                self.layout.label_of(column),
                self.outcome.row.fields.get(column),
                message,
            )
        )

    def fail_all(self, errors: Iterable[FieldError]) -> None:
        for error in errors:
            self.fail(error.field, error.message)

    @property
    def failed(self) -> bool:
        return bool(self.outcome.errors)


def plan_import(
    rows: list[SheetRow],
    layouts: list[SheetLayout],
    *,
    existing: ExistingIndex,
    lookups: LookupIndex,
    rules: CustomerRules,
    ctx: PrepareContext,
    make_id: Callable[[SheetRow], str],
    load_children: Callable[[set[str]], tuple[dict, dict]] | None = None,
) -> Plan:
    """Decide every row against ``existing`` (the tenant's customers, loaded once).

    ``load_children`` fetches the contacts and equipment of the existing customers that
    contact and equipment rows name (once, for all of them); without it, ``existing``'s are used.
    """
    by_sheet = {layout.sheet: layout for layout in layouts}
    entity = {"customers": "customer", "sites": "customer"}
    states = [
        _Row(RowOutcome(row, entity.get(row.target, row.target.rstrip("s"))), by_sheet[row.sheet])
        for row in rows
    ]
    customers = [s for s in states if s.outcome.row.target in ("customers", "sites")]
    refs = _CustomerRefs(existing)
    for state in customers:
        _identify_customer(state, refs, make_id)
    for state in customers:
        if not state.failed:
            _prepare_customer(state, refs, lookups, rules, ctx)
    _refuse_billing_loops(customers, existing)
    children = [s for s in states if s.outcome.row.target in ("contacts", "equipment")]
    if load_children is not None:
        named = {refs.find(s.outcome.row.fields.get("customer")) for s in children}
        existing.contacts, existing.equipment = load_children(
            {i for i in named if i in existing.customers}
        )
    _plan_children(
        [s for s in states if s.outcome.row.target == "contacts"],
        existing.contacts,
        refs,
        lookups,
        make_id,
        lambda data, before: rules.prepare_contact(data, before, ctx),
        _contact_keys,
        ctx,
    )
    _plan_children(
        [s for s in states if s.outcome.row.target == "equipment"],
        existing.equipment,
        refs,
        lookups,
        make_id,
        lambda data, before: rules.prepare_equipment(data, before, ctx),
        _equipment_keys,
        ctx,
    )
    for state in states:
        if state.failed:
            state.outcome.action, state.outcome.record = "failed", None
    return Plan([s.outcome for s in states])


# --- customers -----------------------------------------------------------------------------


class _CustomerRefs:
    """Customers by import id and by name: the file's rows first, then the register."""

    def __init__(self, existing: ExistingIndex) -> None:
        self.existing = existing.customers
        self.existing_by_import_id = {
            name_key(c["import_id"]): c["id"] for c in self.existing.values() if c.get("import_id")
        }
        self.existing_by_name = {
            name_key(c["name"]): c["id"] for c in self.existing.values() if c.get("name")
        }
        self.file_by_import_id: dict[str, tuple[SheetRow, str]] = {}
        self.file_by_name: dict[str, tuple[SheetRow, str]] = {}

    def find(self, reference: Any) -> str | None:
        key = name_key(clean_text(reference) or "")
        for table in (self.file_by_import_id, self.file_by_name):
            if key in table:
                return table[key][1]
        return self.existing_by_import_id.get(key) or self.existing_by_name.get(key)


def _text(value: Any) -> str | None:
    try:
        return clean_text(value)
    except InvalidValue:
        return None


def _where(row: SheetRow) -> str:
    return f"row {row.row} of {row.sheet}"


def _identify_customer(state: _Row, refs: _CustomerRefs, make_id: Callable) -> None:
    row = state.outcome.row
    f = row.fields
    name = derive_customer_name(
        _text(f.get("name")), _text(f.get("company_name")), _text(f.get("first_name")),
        _text(f.get("last_name")),
    )  # fmt: skip
    import_id = _text(f.get("import_id"))
    id_key = name_key(import_id) if import_id else None
    name_key_ = name_key(name) if name else None
    if id_key and id_key in refs.file_by_import_id:
        first = refs.file_by_import_id[id_key][0]
        state.fail("import_id", f"the same Import ID as {_where(first)}; each row needs its own")
        return
    if name_key_ and name_key_ in refs.file_by_name:
        first = refs.file_by_name[name_key_][0]
        state.fail(
            "name", f"the same name as {_where(first)}; names must be unique, rows are not merged"
        )
        return
    match = refs.existing_by_import_id.get(id_key) if id_key else None
    if match is None and name_key_:
        by_name = refs.existing_by_name.get(name_key_)
        other_import_id = by_name and refs.existing[by_name].get("import_id")
        if by_name and import_id and other_import_id and name_key(other_import_id) != id_key:
            state.fail(
                "name",
                f"'{name}' is already the name of the customer with Import ID {other_import_id}",
            )
            return
        match = by_name
    elif match is not None and name_key_:
        holder = refs.existing_by_name.get(name_key_)
        if holder and holder != match:
            state.fail("name", f"'{name}' is already the name of another customer")
            return
    customer_id = match or make_id(row)
    state.outcome.previous = refs.existing.get(match) if match else None
    state.outcome.record = {"id": customer_id}
    if id_key:
        refs.file_by_import_id[id_key] = (row, customer_id)
    if name_key_:
        refs.file_by_name[name_key_] = (row, customer_id)


def _prepare_customer(
    state: _Row,
    refs: _CustomerRefs,
    lookups: LookupIndex,
    rules: CustomerRules,
    ctx: PrepareContext,
) -> None:
    customer_id = state.outcome.record["id"]
    patch = _typed_fields(state, ctx)
    _resolve_lookups(state, patch, lookups)
    if "assigned_user" in patch:
        try:
            patch["assigned_user_id"] = lookups.user_id(patch.pop("assigned_user"))
        except LookupError as exc:
            state.fail("assigned_user", str(exc))
    if "billing_customer" in patch:
        reference = patch.pop("billing_customer")
        billing_id = refs.find(reference)
        if billing_id is None:
            state.fail(
                "billing_customer",
                f"no customer named or with Import ID '{reference}' in the file or the register",
            )
        elif billing_id == customer_id:
            state.fail("billing_customer", "a customer cannot bill to itself")
        else:
            patch["billing.billing_customer_id"] = billing_id
    if state.failed:
        return
    _finish(
        state, patch, lambda data, before: rules.prepare_customer(data, before, ctx, customer_id)
    )


def _refuse_billing_loops(customers: list[_Row], existing: ExistingIndex) -> None:
    billed_to = {
        cid: (c.get("billing") or {}).get("billing_customer_id")
        for cid, c in existing.customers.items()
    }
    planned = [s for s in customers if s.outcome.record and not s.failed]
    for state in planned:
        billed_to[state.outcome.record["id"]] = (state.outcome.record.get("billing") or {}).get(
            "billing_customer_id"
        )
    for state in planned:
        record = state.outcome.record
        loop = find_billing_loop(record["id"], billed_to[record["id"]], billed_to.get)
        if loop is not None:
            state.fail("billing_customer", loop.message)


# --- contacts and equipment ----------------------------------------------------------------


def _contact_keys(customer_id: str, data: dict[str, Any]) -> list[str]:
    keys = []
    if email := _text(data.get("email")):
        keys.append(f"{customer_id}|email|{email.lower()}")
    person = " ".join(p for p in (_text(data.get("first_name")), _text(data.get("last_name"))) if p)
    if person:
        keys.append(f"{customer_id}|name|{name_key(person)}")
    return keys


def _equipment_keys(customer_id: str, data: dict[str, Any]) -> list[str]:
    if number := _text(data.get("equipment_number")):
        return [f"{customer_id}|number|{name_key(number)}"]
    if name := _text(data.get("name")):
        return [f"{customer_id}|name|{name_key(name)}"]
    return []


def _plan_children(
    states: list[_Row],
    existing: dict[str, dict[str, Any]],
    refs: _CustomerRefs,
    lookups: LookupIndex,
    make_id: Callable,
    prepare: Callable[[dict, dict | None], dict],
    keys_of: Callable[[str, dict], list[str]],
    ctx: PrepareContext,
) -> None:
    existing_by_key: dict[str, str] = {}
    for record_id, record in existing.items():
        for key in keys_of(record["customer_id"], record):
            existing_by_key.setdefault(key, record_id)
    in_file: dict[str, SheetRow] = {}
    for state in states:
        row = state.outcome.row
        patch = _typed_fields(state, ctx)
        reference = patch.pop("customer", None)
        customer_id = refs.find(reference) if reference is not None else None
        if reference is None:
            state.fail("customer", "the customer is required (its Import ID or name)")
        elif customer_id is None:
            state.fail(
                "customer",
                f"no customer named or with Import ID '{reference}' in the file or the register",
            )
        _resolve_lookups(state, patch, lookups)
        if state.failed:
            continue
        keys = keys_of(customer_id, patch)
        duplicate = next((in_file[k] for k in keys if k in in_file), None)
        if duplicate is not None:
            state.fail("name", f"the same record as {_where(duplicate)}; rows are not merged")
            continue
        match = next((existing_by_key[k] for k in keys if k in existing_by_key), None)
        for key in keys:
            in_file[key] = row
        record_id = match or make_id(row)
        state.outcome.previous = existing.get(match) if match else None
        _finish(state, patch, prepare, ids={"id": record_id, "customer_id": customer_id})


# --- shared --------------------------------------------------------------------------------


def _typed_fields(state: _Row, ctx: PrepareContext) -> dict[str, Any]:
    """Cells as the API would receive them: dates ISO, booleans true/false, the rest as read."""
    types = {f.key: f.type for f in fields_for(state.outcome.row.target)}
    patch: dict[str, Any] = {}
    for key, value in state.outcome.row.fields.items():
        kind = types.get(key)
        try:
            if kind == "date":
                value = parse_date(value, ctx.settings.date_order).isoformat()
            elif kind == "boolean":
                value = parse_bool(value)
            elif isinstance(value, dt.datetime | dt.date):
                value = value.isoformat()[:10] if kind != "text" else value.isoformat()
        except InvalidValue as exc:
            state.fail(key, str(exc))
            continue
        patch[key] = value
    return patch


def _resolve_lookups(state: _Row, patch: dict[str, Any], lookups: LookupIndex) -> None:
    fields = {f.key: f for f in fields_for(state.outcome.row.target) if f.lookup_kind}
    for key, target_key in _LOOKUP_ID_KEYS.items():
        if key in patch and key in fields:
            try:
                patch[target_key] = lookups.lookup_id(fields[key].lookup_kind, patch.pop(key))
            except LookupError as exc:
                state.fail(key, str(exc))


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _finish(
    state: _Row,
    patch: dict[str, Any],
    prepare: Callable[[dict, dict | None], dict],
    ids: dict[str, str] | None = None,
) -> None:
    """Validate the row's values over the record it updates; blank cells were never in ``patch``."""
    previous = state.outcome.previous
    given = _nest(patch)
    for key in MERGED_OBJECTS:  # a row giving only Site Postcode keeps the rest of the address
        if key in given and previous and isinstance(previous.get(key), dict):
            given[key] = _merge(previous[key], given[key])
    try:
        record = {**prepare(given, previous), **(ids or {})}
    except ValidationFailed as exc:
        state.fail_all(exc.errors)
        return
    if not previous:
        state.outcome.action = "created"
    elif all(record.get(k) == v for k, v in previous.items()) and record.keys() <= previous.keys():
        state.outcome.action = "unchanged"
    else:
        state.outcome.action = "updated"
    state.outcome.record = {k: v for k, v in record.items() if k not in BOOKKEEPING}
