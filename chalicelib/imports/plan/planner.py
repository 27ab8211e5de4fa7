"""Stages 3–4: match rows to existing records, link references across sheets, validate, decide.

Pure: it reads the tenant's index loaded once and the rows, and writes nothing. Every row ends
``created``, ``updated``, ``unchanged`` or ``failed``; a bad row never stops the others.

The value policy (``on_invalid_value``): only a problem of the row's identity or of its links
(``ROW_KEY_FIELDS``) fails it. Any other bad cell is, under ``skip_value`` (the default), a
warning: the row is written without that value (an update keeps the stored one). Under
``fail_row`` every bad cell fails its row, as before the policy existed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from chalicelib.domain.contacts import ContactStanding, default_change
from chalicelib.domain.customers import find_billing_loop
from chalicelib.domain.duplicates import DuplicateIndex
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.names import derive_customer_name
from chalicelib.domain.records import BOOKKEEPING_FIELDS
from chalicelib.domain.values import InvalidValue, clean_text, name_key, parse_bool, parse_date
from chalicelib.imports.catalog.definitions import LOOKUP_COLUMNS
from chalicelib.imports.catalog.fields import fields_for
from chalicelib.imports.catalog.model import (
    DEFAULT_ON_INVALID_VALUE,
    ON_INVALID_VALUE,
    TARGETS,
    ImportField,
)
from chalicelib.imports.catalog.rules import MatchRules
from chalicelib.imports.plan.lookups import LookupIndex, MissingLookups
from chalicelib.imports.plan.matching import (
    KEY_WORDS,
    MAX_NAMED,
    Ambiguous,
    Matched,
    Register,
    row_keys,
)
from chalicelib.imports.ports import CustomerRules, ExistingIndex, PrepareContext
from chalicelib.imports.read.cells import OverlongCell
from chalicelib.imports.read.rows import SheetLayout, SheetRow

ACTIONS = ("created", "updated", "unchanged", "failed")
# Per target: beside the actions, ``warned`` counts the written rows (created, updated or
# unchanged) that carry at least one warning; it is a flag, not a fifth outcome.
COUNTED = (*ACTIONS, "warned")
# The fields (catalog keys) whose problems fail the row under either policy: what identifies
# the row (its names, Import ID, number) and what links it to another record (its customer,
# its billing customer), and equipment's required type. Every other field is a value: a bad
# one is dropped with a warning under ``skip_value``. Problems no field names fail the row.
ROW_KEY_FIELDS: dict[str, frozenset[str]] = {
    "customers": frozenset(
        (
            "name",
            "company_name",
            "first_name",
            "last_name",
            "import_id",
            "customer_number",
            "billing_customer",
        )
    ),
    "contacts": frozenset(("customer", "first_name", "last_name")),
    "equipment": frozenset(("customer", "equipment_type", "equipment_number", "name")),
}
ROW_KEY_FIELDS["sites"] = ROW_KEY_FIELDS["customers"]
# Characters of a cell an error or warning repeats (a 5,000-character note is not repeated).
MAX_VALUE_SHOWN = 200
# A row is prepared again after each round of dropped values; more rounds mean a rule keeps
# finding new faults, and the row fails with what the last round found.
MAX_PREPARES = 4
# Kept by the store, not by validation: never compared, never sent to prepare.
MERGED_OBJECTS = ("site_address", "billing_address", "billing")
_LOOKUP_ID_KEYS = {key: attribute for key, (attribute, _) in LOOKUP_COLUMNS.items()}
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
        """JSON-ready; a value longer than MAX_VALUE_SHOWN is cut (the import record holds 100
        errors and 100 warnings in one DynamoDB item; the error workbook has the whole cell)."""
        value = self.value
        if isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        elif value is not None and not isinstance(value, int | float | bool | str):
            value = str(value)
        if isinstance(value, str) and len(value) > MAX_VALUE_SHOWN:
            value = value[: MAX_VALUE_SHOWN - 1] + "…"
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
    # Values left out of a written row (the shape of errors); a failed row has none: its
    # every problem is an error.
    warnings: list[RowError] = field(default_factory=list)
    # Other records the row changes: (entity, record, previous), e.g. the default contact it
    # takes over from.
    extra: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)


@dataclass
class Plan:
    """Every row's outcome, for rows already in memory (the worker streams through Planner)."""

    outcomes: list[RowOutcome]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        counts = {target: dict.fromkeys(COUNTED, 0) for target in TARGETS}
        for outcome in self.outcomes:
            counts[outcome.row.target][outcome.action] += 1
            counts[outcome.row.target]["warned"] += bool(outcome.warnings)
        return counts

    @property
    def errors(self) -> list[RowError]:
        return [error for outcome in self.outcomes for error in outcome.errors]

    @property
    def warnings(self) -> list[RowError]:
        return [warning for outcome in self.outcomes for warning in outcome.warnings]


class Where(NamedTuple):
    """Where a row is, all a later row needs to point at it."""

    sheet: str
    row: int


class _Row:
    """One row being decided: its problems as column-accurate errors or warnings."""

    def __init__(self, outcome: RowOutcome, layout: SheetLayout, skip_values: bool) -> None:
        self.outcome = outcome
        self.layout = layout
        self.skip_values = skip_values
        self.key_fields = ROW_KEY_FIELDS[outcome.row.target]

    def _error(self, key: str, message: str) -> RowError:
        column = _ERROR_FIELD_TO_COLUMN.get(key, key)
        return RowError(
            self.outcome.row.sheet,
            self.outcome.row.row,
            self.layout.label_of(column),
            self.outcome.row.fields.get(column),
            message,
        )

    def fail(self, key: str, message: str) -> None:
        """The row fails: ``key`` (a catalog key or a record path) names the column."""
        self.outcome.action = "failed"
        self.outcome.errors.append(self._error(key, message))

    def warn(self, key: str, message: str) -> None:
        """A warning that leaves the row's values as they are (a possible duplicate)."""
        self.outcome.warnings.append(self._error(key, message))

    def fail_all(self, errors: Iterable[FieldError]) -> None:
        for error in errors:
            self.fail(error.field, error.message)

    def is_value(self, key: str) -> bool:
        """Whether a problem of ``key`` may cost only its value (under ``skip_value``)."""
        column = _ERROR_FIELD_TO_COLUMN.get(key, key)
        return self.skip_values and column not in self.key_fields

    def bad_value(self, key: str, message: str) -> bool:
        """A bad cell: a warning when the policy skips values and ``key`` is a value field,
        else the row fails. True when the row goes on without the value."""
        if self.is_value(key):
            self.outcome.warnings.append(self._error(key, message))
            return True
        self.fail(key, message)
        return False

    @property
    def failed(self) -> bool:
        return bool(self.outcome.errors)


class Planner:
    """Decides every row in two passes over the file, holding only what rows refer to.

    ``learn`` (pass 1) identifies each customer and site row against the register and the rest
    of the file, and notes the references other rows make: which lookups are missing, which
    existing customers contacts and equipment name, who bills to whom. ``decide`` (pass 2)
    then validates and decides one row at a time and yields its outcome, which the caller
    writes away; so memory holds an index entry per customer in the file, never the rows.
    """

    def __init__(
        self,
        layouts: list[SheetLayout],
        *,
        existing: ExistingIndex,
        rules: CustomerRules,
        make_id: Callable[[SheetRow], str],
        on_invalid_value: str = DEFAULT_ON_INVALID_VALUE,
        match_rules: MatchRules | None = None,
        country: str = "AU",
    ) -> None:
        if on_invalid_value not in ON_INVALID_VALUE:
            raise ValueError(f"on_invalid_value must be one of {ON_INVALID_VALUE}")
        self.skip_values = on_invalid_value == "skip_value"
        self.by_sheet = {layout.sheet: layout for layout in layouts}
        self.existing = existing
        self.rules = rules
        self.make_id = make_id
        self.refs = _CustomerRefs(existing)
        self.match_rules = match_rules or MatchRules()
        self.country = country  # phones without a country code are read as this one's
        self.duplicates = _Duplicates(existing.customers, self.refs.register)
        self.rows_total = 0
        self.new_customers = 0  # rows that create a customer without a number: an upper bound
        self._identified: dict[Where, tuple[str, str | None]] = {}
        self._identity_errors: dict[Where, tuple[str, str]] = {}
        self._billing_refs: dict[str, Any] = {}
        self._child_refs: set[str] = set()
        self._missing = MissingLookups()
        self._looped: dict[str, str] = {}
        self._depth: dict[str, int] = {}  # customer id → decision round (0 when absent)
        self._failed: dict[str, Where] = {}  # customers the file creates whose rows failed
        self._default_refs: dict[str, Where] = {}  # customer reference → first "default" row
        self.explicit_defaults: dict[str, Where] = {}  # customer id → that row (after learn)

    # --- pass 1 --------------------------------------------------------------------------

    def learn(self, rows: Iterable[SheetRow], lookups: LookupIndex) -> None:
        for row in rows:
            self.rows_total += 1
            self._missing.see(row, lookups)
            if row.target in ("customers", "sites"):
                self._learn_customer(row)
            elif (reference := _text(row.fields.get("customer"))) is not None:
                self._child_refs.add(name_key(reference))
                if row.target == "contacts" and _says_yes(row.fields.get("is_default")):
                    self._default_refs.setdefault(name_key(reference), Where(row.sheet, row.row))
        self._find_billing_loops()
        for reference, where in self._default_refs.items():
            customer_id = self.refs.find(reference)
            if customer_id is not None:
                first = self.explicit_defaults.setdefault(customer_id, where)
                self.explicit_defaults[customer_id] = min(first, where, key=lambda w: w.row)
        self._default_refs.clear()

    def _learn_customer(self, row: SheetRow) -> None:
        where = Where(row.sheet, row.row)
        found = _identify_customer(row, self.refs, self.make_id, self.match_rules, self.country)
        if isinstance(found, _IdentityError):
            self._identity_errors[where] = (found.key, found.message)
            return
        customer_id, match = found
        self._identified[where] = (customer_id, match)
        if match is None and not _text(row.fields.get("customer_number")):
            self.new_customers += 1
        if (reference := row.fields.get("billing_customer")) is not None:
            self._billing_refs[customer_id] = reference

    def _find_billing_loops(self) -> None:
        """Who bills to whom once the file is in: the register's links, the file's over them.

        Also the order pass 2 decides customers in: a customer billed to a customer the file
        creates is decided after it (its ``depth`` is one more), so a billing customer whose
        row failed fails the rows billed to it instead of leaving them billed to nobody.
        """
        billed_to = {
            cid: (c.get("billing") or {}).get("billing_customer_id")
            for cid, c in self.existing.customers.items()
        }
        file_links: dict[str, str] = {}
        for customer_id, reference in self._billing_refs.items():
            target = self.refs.find(reference)
            if target is not None and target != customer_id:
                billed_to[customer_id] = file_links[customer_id] = target
        self._billing_refs.clear()
        new = {cid for cid, match in self._identified.values() if match is None}
        for customer_id, _ in self._identified.values():
            loop = find_billing_loop(customer_id, billed_to.get(customer_id), billed_to.get)
            if loop is not None:
                self._looped[customer_id] = loop.message
                continue
            depth, current = 0, file_links.get(customer_id)
            while current in new:
                depth += 1
                current = file_links.get(current)
            if depth:
                self._depth[customer_id] = depth

    def missing_lookups(self) -> dict[str, list[str]]:
        """Creatable lookups the file names that the tenant lacks (known after ``learn``)."""
        return self._missing.names()

    def named_existing_customers(self) -> set[str]:
        """Existing customers whose contacts or equipment rows name (known after ``learn``)."""
        named = (self.refs.find(reference) for reference in self._child_refs)
        return {i for i in named if i in self.existing.customers}

    # --- pass 2 --------------------------------------------------------------------------

    def decide(
        self,
        rows: Callable[[tuple[str, ...]], Iterable[SheetRow]],
        lookups: LookupIndex,
        ctx: PrepareContext,
    ) -> Iterator[RowOutcome]:
        """Each row's outcome; call after ``learn`` (and after loading the children of
        ``named_existing_customers()`` into ``existing``). ``rows(targets)`` reads the file's
        rows of those targets again: customers and sites once per billing round, then
        contacts and equipment, whose customers are decided by then."""
        rounds: dict[int, set[str]] = {}  # round → the targets with rows decided in it
        for where in self._identity_errors:
            rounds.setdefault(0, set()).add(self.by_sheet[where.sheet].target)
        for where, (customer_id, _) in self._identified.items():
            depth = self._depth.get(customer_id, 0)
            rounds.setdefault(depth, set()).add(self.by_sheet[where.sheet].target)
        for depth in sorted(rounds):
            for row in rows(tuple(sorted(rounds[depth]))):
                where = Where(row.sheet, row.row)
                if self._depth.get(self._identified.get(where, ("",))[0], 0) == depth:
                    yield self._decide_customer(row, where, lookups, ctx)
        children = {
            "contacts": _Contacts(
                self.match_rules,
                self.explicit_defaults,
                self.existing.contacts,
                lambda data, before: self.rules.prepare_contact(data, before, ctx),
                _contact_keys,
            ),
            "equipment": _Children(
                self.match_rules,
                self.existing.equipment,
                lambda data, before: self.rules.prepare_equipment(data, before, ctx),
                _equipment_keys,
            ),
        }
        for row in rows(("contacts", "equipment")):
            state = self._state(row, row.target.rstrip("s"))
            children[row.target].decide(state, self.refs, lookups, self.make_id, ctx, self._failed)
            yield self._settled(state)

    def _state(self, row: SheetRow, entity: str) -> _Row:
        return _Row(RowOutcome(row, entity), self.by_sheet[row.sheet], self.skip_values)

    @staticmethod
    def _settled(state: _Row) -> RowOutcome:
        outcome = state.outcome
        if state.failed:  # nothing is written, so nothing was left out: all are errors
            outcome.action, outcome.record = "failed", None
            outcome.errors[:0], outcome.warnings = outcome.warnings, []
        return outcome

    def _decide_customer(
        self, row: SheetRow, where: Where, lookups: LookupIndex, ctx: PrepareContext
    ) -> RowOutcome:
        state = self._state(row, "customer")
        if where in self._identity_errors:
            state.fail(*self._identity_errors[where])
            return self._settled(state)
        customer_id, match = self._identified[where]
        state.outcome.previous = self.existing.customers.get(match) if match else None
        state.outcome.record = {"id": customer_id}
        _prepare_customer(
            state, self.refs, lookups, self.rules, ctx, self._failed, self.match_rules
        )
        if not state.failed and customer_id in self._looped:
            state.fail("billing_customer", self._looped[customer_id])
        if not state.failed and state.outcome.action == "created":
            self.duplicates.warn(state, where)
        if state.failed and match is None:
            self._failed[customer_id] = where
        return self._settled(state)


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
    on_invalid_value: str = DEFAULT_ON_INVALID_VALUE,
    match_rules: MatchRules | None = None,
    country: str = "AU",
) -> Plan:
    """Both passes over rows already in memory; ``load_children`` fetches the contacts and
    equipment of the existing customers the file's children name (else ``existing``'s are used).
    ``on_invalid_value`` is ``skip_value`` or ``fail_row`` (see the module's docstring).
    """
    planner = Planner(
        layouts,
        existing=existing,
        rules=rules,
        make_id=make_id,
        on_invalid_value=on_invalid_value,
        match_rules=match_rules,
        country=country,
    )
    planner.learn(rows, lookups)
    if load_children is not None:
        existing.contacts, existing.equipment = load_children(planner.named_existing_customers())
    order = {id(row): index for index, row in enumerate(rows)}
    outcomes = planner.decide(
        lambda targets: [r for r in rows if r.target in targets], lookups, ctx
    )
    return Plan(sorted(outcomes, key=lambda outcome: order[id(outcome.row)]))


# --- customers -----------------------------------------------------------------------------


class _CustomerRefs:
    """Customers by import id and by name (references: a billing customer, a child's customer):
    the file's rows first, then the register (``matching.Register``, also the rows' matches)."""

    def __init__(self, existing: ExistingIndex) -> None:
        self.existing = existing.customers
        self.file_by_import_id: dict[str, tuple[Where, str]] = {}
        self.file_by_name: dict[str, tuple[Where, str]] = {}
        self.register = Register(existing.customers)
        self.file_matched: dict[str, Where] = {}  # existing customer → the row that matched it

    def find(self, reference: Any) -> str | None:
        key = name_key(clean_text(reference) or "")
        for table in (self.file_by_import_id, self.file_by_name):
            if key in table:
                return table[key][1]
        found = self.register.holders("import_id", [key]) or self.register.holders("name", [key])
        return found[0] if found else None


def _text(value: Any) -> str | None:
    try:
        return clean_text(value)
    except InvalidValue:
        return None


def _where(row: SheetRow | Where) -> str:
    return f"row {row.row} of {row.sheet}"


def _says_yes(value: Any) -> bool:
    try:
        return parse_bool(value) is True
    except InvalidValue:
        return False


def _not_imported(reference: Any, where: Where) -> str:
    return f"'{reference}' was not imported ({_where(where)} failed); fix that row first"


class _IdentityError(NamedTuple):
    key: str
    message: str


def _identify_customer(
    row: SheetRow, refs: _CustomerRefs, make_id: Callable, rules: MatchRules, country: str
) -> tuple[str, str | None] | _IdentityError:
    """The row's customer id and the existing customer it updates (None: a new one).

    The match is the first key of ``rules.match_on`` the row gives that finds a customer
    (``matching.Register``); the row's name, Import ID and number must then be free or the
    match's own (they are unique), and the mode decides whether a match (or none) may go on.
    """
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
        return _IdentityError(
            "import_id", f"the same Import ID as {_where(first)}; each row needs its own"
        )
    if name_key_ and name_key_ in refs.file_by_name:
        first = refs.file_by_name[name_key_][0]
        return _IdentityError(
            "name", f"the same name as {_where(first)}; names must be unique, rows are not merged"
        )
    register = refs.register
    keys = row_keys(f, name, country, rules.match_on)
    found = register.match(keys, rules.match_on)
    if isinstance(found, Ambiguous):
        return _IdentityError(
            found.column,
            f"matches {len(found.customer_ids)} customers by {KEY_WORDS[found.key]}: "
            f"{register.describe_all(found.customer_ids)}; match on a key that tells them apart",
        )
    match = found.customer_id if found else None
    if match is not None and match in refs.file_matched:
        return _IdentityError(
            found.column,
            f"the same customer ({register.describe(match)}) as "
            f"{_where(refs.file_matched[match])}; rows are not merged",
        )
    conflict = _claim_conflict(f, keys, found, name, register)
    if conflict is not None:
        return conflict
    if rules.mode == "create_only" and found is not None:
        return _IdentityError(found.column, f"already exists as {register.describe(match)}")
    if rules.mode == "update_only" and found is None:
        given = [k for k in rules.match_on if k in keys] or list(rules.match_on)
        column = keys[given[0]][0] if given[0] in keys else given[0]
        words = " or ".join(KEY_WORDS[k] for k in given)
        return _IdentityError(
            column, f"no existing customer has this {words}; update_only creates no customer"
        )
    customer_id = match or make_id(row)
    where = Where(row.sheet, row.row)
    if id_key:
        refs.file_by_import_id[id_key] = (where, customer_id)
    if name_key_:
        refs.file_by_name[name_key_] = (where, customer_id)
    if match is not None:
        refs.file_matched[match] = where
    return customer_id, match


def _claim_conflict(
    fields: dict[str, Any],
    keys: dict[str, tuple[str, list[str]]],
    found: Matched | None,
    name: str | None,
    register: Register,
) -> _IdentityError | None:
    """What stops the row's unique values (name, Import ID, number) going to its match (or to
    a new customer): another customer holds one, or the match has another Import ID."""
    match = found.customer_id if found else None
    for key in ("name", "import_id", "customer_number"):
        others = [c for c in register.holders(key, keys.get(key, ("", []))[1]) if c != match]
        if not others:
            continue
        if key == "name":
            return _IdentityError("name", f"'{name}' is already the name of another customer")
        value = _text(fields.get(key))
        return _IdentityError(
            key, f"{KEY_WORDS[key]} '{value}' is already {register.describe(others[0])}'s"
        )
    import_id = _text(fields.get("import_id"))
    held = register.customers.get(match, {}).get("import_id") if match else None
    if held and import_id and name_key(held) != name_key(import_id):
        if found.key == "name":
            message = f"'{name}' is already the name of the customer with Import ID {held}"
            return _IdentityError("name", message)
        return _IdentityError(
            "import_id",
            f"matched {register.describe(match)} by {KEY_WORDS[found.key]}, whose Import ID is "
            f"{held}, not {import_id}",
        )
    return None


class _Duplicates:
    """Possible duplicates of the customers a file creates (``domain.duplicates``): the
    register's customers, loaded once, and the file's earlier new rows."""

    def __init__(self, customers: dict[str, dict[str, Any]], register: Register) -> None:
        self.index = DuplicateIndex()
        self.register = register
        self.rows: dict[str, Where] = {}  # a new customer's id → the row creating it
        for customer_id, record in customers.items():
            self.index.add(customer_id, record)

    def warn(self, state: _Row, where: Where) -> None:
        """Warn the created row of each customer (or earlier new row) it may duplicate, then
        index it for the rows after it."""
        record = state.outcome.record
        for found in self.index.find(record, exclude=record["id"])[:MAX_NAMED]:
            who = _where(self.rows[found.of]) if found.of in self.rows else None
            state.warn(
                self._column(state, found.reasons[0]),
                found.describe(who or self.register.describe(found.of)),
            )
        self.rows[record["id"]] = where
        self.index.add(record["id"], record)

    @staticmethod
    def _column(state: _Row, reason: str) -> str:
        if reason == "phone":
            return "phone" if "phone" in state.outcome.row.fields else "mobile"
        return {"site_address": "site_address.line1"}.get(reason, reason)


def _prepare_customer(
    state: _Row,
    refs: _CustomerRefs,
    lookups: LookupIndex,
    rules: CustomerRules,
    ctx: PrepareContext,
    failed: dict[str, Where],
    match_rules: MatchRules,
) -> None:
    customer_id = state.outcome.record["id"]
    patch = _typed_fields(state, ctx)
    _resolve_lookups(state, patch, lookups)
    if match_rules.blank_cells == "clear" and state.outcome.previous:
        _clear_blank_cells(state, patch)
    if "assigned_user" in patch:
        try:
            patch["assigned_user_id"] = lookups.user_id(patch.pop("assigned_user"))
        except LookupError as exc:
            state.bad_value("assigned_user", str(exc))
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
        elif billing_id in failed:
            state.fail("billing_customer", f"{_not_imported(reference, failed[billing_id])}")
        else:
            patch["billing.billing_customer_id"] = billing_id
    if state.failed:
        return
    _finish(
        state, patch, lambda data, before: rules.prepare_customer(data, before, ctx, customer_id)
    )


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


def _child_key_column(key: str) -> str:
    """The column a contact's or equipment's match key (``_contact_keys``) comes from."""
    kind = key.split("|")[1]
    return {"email": "email", "number": "equipment_number"}.get(kind, "name")


def _where_stored(record: dict[str, Any]) -> str:
    person = " ".join(p for p in (record.get("first_name"), record.get("last_name")) if p)
    return f"'{record.get('equipment_number') or record.get('name') or person or record['id']}'"


class _Children:
    """Contacts or equipment rows: matched to the customer's existing ones, duplicates refused."""

    def __init__(
        self,
        match_rules: MatchRules,
        existing: dict[str, dict[str, Any]],
        prepare: Callable[[dict, dict | None], dict],
        keys_of: Callable[[str, dict], list[str]],
    ) -> None:
        self.match_rules = match_rules
        self.existing, self.prepare, self.keys_of = existing, prepare, keys_of
        self.existing_by_key: dict[str, str] = {}
        for record_id, record in existing.items():
            for key in keys_of(record["customer_id"], record):
                self.existing_by_key.setdefault(key, record_id)
        self.in_file: dict[str, Where] = {}

    def decide(
        self,
        state: _Row,
        refs: _CustomerRefs,
        lookups: LookupIndex,
        make_id: Callable,
        ctx: PrepareContext,
        failed: dict[str, Where],
    ) -> None:
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
        elif customer_id in failed:
            state.fail("customer", _not_imported(reference, failed[customer_id]))
        _resolve_lookups(state, patch, lookups)
        if state.failed:
            return
        keys = self.keys_of(customer_id, patch)
        duplicate = next((self.in_file[k] for k in keys if k in self.in_file), None)
        if duplicate is not None:
            state.fail("name", f"the same record as {_where(duplicate)}; rows are not merged")
            return
        key = next((k for k in keys if k in self.existing_by_key), None)
        match = self.existing_by_key[key] if key else None
        if self.match_rules.mode == "create_only" and match:
            existing = _where_stored(self.existing[match])
            state.fail(_child_key_column(key), f"already exists as {existing}")
            return
        if self.match_rules.mode == "update_only" and not match:
            column = _child_key_column(keys[0]) if keys else "name"
            message = f"matches no existing {state.outcome.entity} of this customer"
            state.fail(column, f"{message}; update_only creates none")
            return
        for key in keys:
            self.in_file[key] = Where(row.sheet, row.row)
        record_id = match or make_id(row)
        state.outcome.previous = self.existing.get(match) if match else None
        if self.match_rules.blank_cells == "clear" and state.outcome.previous:
            _clear_blank_cells(state, patch)
        self.before_finish(state, patch, customer_id, record_id)
        if state.failed:
            return
        _finish(state, patch, self.prepare, ids={"id": record_id, "customer_id": customer_id})
        if not state.failed:
            self.after_finish(state, customer_id, record_id)

    def before_finish(self, state: _Row, patch: dict, customer_id: str, record_id: str) -> None:
        """A kind's own rules on the row's values before validation."""

    def after_finish(self, state: _Row, customer_id: str, record_id: str) -> None:
        """A kind's own rules once the row's record is decided."""


class _Contacts(_Children):
    """Contacts, with the API's default-contact rule (``domain.contacts.default_change``).

    The rule for one customer's contacts is the domain's, shared with the API. What only a
    file has stays here: a row saying Default Contact = Yes takes the default over from every
    other row of its customer (they give way), and a second such row is refused.
    """

    def __init__(self, match_rules: MatchRules, explicit: dict[str, Where], *args: Any) -> None:
        super().__init__(match_rules, *args)
        self.explicit = explicit
        self.contacts_of: dict[str, list[str]] = {}
        for contact in self.existing.values():
            self.contacts_of.setdefault(contact["customer_id"], []).append(contact["id"])
        self.default_of = {
            c["customer_id"]: c["id"] for c in self.existing.values() if c.get("is_default")
        }

    def _standings(self, customer_id: str) -> list[ContactStanding]:
        """The customer's contacts as the rule sees them, with the default this file left."""
        default = self.default_of.get(customer_id)
        ids = self.contacts_of.get(customer_id, [])
        standings = [
            ContactStanding(i, i == default, self.existing[i].get("created_at") or "") for i in ids
        ]
        if default is not None and default not in ids:  # a contact this file created
            standings.append(ContactStanding(default, True))
        return standings

    def before_finish(self, state: _Row, patch: dict, customer_id: str, record_id: str) -> None:
        where = Where(state.outcome.row.sheet, state.outcome.row.row)
        explicit = self.explicit.get(customer_id)
        previous = state.outcome.previous
        says = patch.get("is_default")
        if explicit is not None and explicit != where:  # another row makes the default
            if _says_yes(says):
                message = (
                    f"{_where(explicit)} already makes the default contact of this customer; "
                    "only one row may"
                )
                if state.bad_value("is_default", message):
                    patch["is_default"] = False
            elif says is None:
                patch["is_default"] = False  # it gives way to that row
                if previous and previous.get("is_default"):  # demoted by its own write
                    self.default_of.pop(customer_id, None)
            return
        try:
            change = default_change(
                self._standings(customer_id),
                record_id if previous else None,
                says=None if says is None else _says_yes(says),
            )
        except ValidationFailed as refused:
            if state.bad_value("is_default", refused.errors[0].message):
                patch.pop("is_default", None)  # it stays the default
            return
        patch["is_default"] = change.is_default

    def after_finish(self, state: _Row, customer_id: str, record_id: str) -> None:
        if not state.outcome.record.get("is_default"):
            return
        current = self.default_of.get(customer_id)
        if current is not None and current != record_id and current in self.existing:
            before = self.existing[current]
            demoted = {k: v for k, v in before.items() if k not in BOOKKEEPING_FIELDS}
            state.outcome.extra.append(("contact", {**demoted, "is_default": False}, before))
        self.default_of[customer_id] = record_id


# --- shared --------------------------------------------------------------------------------


def _typed_fields(state: _Row, ctx: PrepareContext) -> dict[str, Any]:
    """Cells as the API would receive them: dates ISO, booleans true/false, the rest as read."""
    types = _field_facts(state.outcome.row.target).types
    patch: dict[str, Any] = {}
    for key, value in state.outcome.row.fields.items():
        kind = types.get(key)
        if isinstance(value, OverlongCell):  # marked by the read stage, e.g. a quote left open
            state.fail(key, value.message)
            continue
        try:
            if kind == "date":
                value = parse_date(value, ctx.settings.date_order).isoformat()
            elif kind == "boolean":
                value = parse_bool(value)
            elif isinstance(value, dt.datetime | dt.date):
                value = value.isoformat()[:10] if kind != "text" else value.isoformat()
        except InvalidValue as exc:
            state.bad_value(key, str(exc))
            continue
        patch[key] = value
    return patch


class _FieldFacts(NamedTuple):
    types: dict[str, str]  # key → type
    lookups: dict[str, ImportField]  # key → field, for the fields naming a lookup
    required: frozenset[str]


@lru_cache(maxsize=8)
def _field_facts(target: str) -> _FieldFacts:
    """What each row of ``target`` asks of its catalog fields, gathered once per target."""
    fields = fields_for(target)
    return _FieldFacts(
        {f.key: f.type for f in fields},
        {f.key: f for f in fields if f.lookup_kind},
        frozenset(f.key for f in fields if f.required),
    )


# Never cleared by a blank cell under blank_cells=clear, beside the row's key fields and the
# required ones: a contact's default flag follows the default-contact rule instead.
NEVER_CLEARED = frozenset(("is_default",))
_CLEARED_AS = _LOOKUP_ID_KEYS | {"assigned_user": "assigned_user_id"}


def _clear_blank_cells(state: _Row, patch: dict[str, Any]) -> None:
    """``blank_cells: clear`` on an update: each mapped column the row leaves blank clears its
    field. Unmapped columns, the row's key fields (``ROW_KEY_FIELDS``: names, Import ID,
    number, links) and required fields are never touched."""
    target = state.outcome.row.target
    required = _field_facts(target).required
    kept = state.key_fields | required | NEVER_CLEARED
    for key in sorted(state.layout.mapped_fields - set(state.outcome.row.fields) - kept):
        patch.setdefault(_CLEARED_AS.get(key, key), None)


def _resolve_lookups(state: _Row, patch: dict[str, Any], lookups: LookupIndex) -> None:
    fields = _field_facts(state.outcome.row.target).lookups
    for key, target_key in _LOOKUP_ID_KEYS.items():
        if key in patch and key in fields:
            try:
                patch[target_key] = lookups.lookup_id(fields[key].lookup_kind, patch.pop(key))
            except LookupError as exc:
                state.bad_value(key, str(exc))


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
    """Validate the row's values over the record it updates; blank cells were never in ``patch``.

    Under ``skip_value`` a value the domain refuses is dropped with a warning (an update keeps
    the stored value) and the rest is prepared again; a refused key field fails the row.
    """
    previous = state.outcome.previous
    given = _nest(patch)
    for key in MERGED_OBJECTS:  # a row giving only Site Postcode keeps the rest of the address
        if key in given and previous and isinstance(previous.get(key), dict):
            given[key] = _merge(previous[key], given[key])
    for _ in range(MAX_PREPARES):
        try:
            record = {**prepare(given, previous), **(ids or {})}
            break
        except ValidationFailed as exc:
            errors = exc.errors
        paths = dict.fromkeys(e.field for e in errors)
        if not all(state.is_value(p) and _drop(given, p, previous) for p in paths):
            state.fail_all(errors)
            return
        for error in errors:
            state.bad_value(error.field, error.message)
    else:
        state.fail_all(errors)
        return
    if not previous:
        state.outcome.action = "created"
    elif all(record.get(k) == v for k, v in previous.items()) and record.keys() <= previous.keys():
        state.outcome.action = "unchanged"
    else:
        state.outcome.action = "updated"
    state.outcome.record = {k: v for k, v in record.items() if k not in BOOKKEEPING_FIELDS}


def _drop(given: dict[str, Any], path: str, previous: dict[str, Any] | None) -> bool:
    """Take the value at dotted ``path`` out of ``given``. Inside an object the store replaces
    whole (an address, billing) the stored value is put back; elsewhere the key goes, and the
    update keeps what is stored (custom fields merge key by key). False when that changes
    nothing, so a value that cannot be dropped fails its row instead of looping."""
    *parents, leaf = path.split(".")
    node, stored = given, previous or {}
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
        stored = stored.get(part) if isinstance(stored, dict) else None
    if not isinstance(node, dict) or leaf not in node:
        return False
    if parents and parents[0] in MERGED_OBJECTS and isinstance(stored, dict) and leaf in stored:
        if node[leaf] == stored[leaf]:
            return False
        node[leaf] = stored[leaf]
    else:
        del node[leaf]
    return True
