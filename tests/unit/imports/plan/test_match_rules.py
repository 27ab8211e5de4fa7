"""Match rules in the planner alone: match_on, mode, blank_cells, the two-match error and
duplicate warnings, on lists of rows (no AWS)."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.imports.catalog.rules import MatchRules, check_match_rules, resolve_match_rules
from chalicelib.imports.plan.lookups import LookupIndex
from chalicelib.imports.plan.matching import Ambiguous, Matched, Register, row_keys
from chalicelib.imports.plan.planner import plan_import
from chalicelib.imports.ports import ExistingIndex, PrepareContext
from chalicelib.imports.wiring import DomainRules
from tests.unit.imports.factories import sheet_row, template_layouts

row = sheet_row


def stored(id_: str, number: str, **values) -> dict:
    """A customer as the register holds it (prepared by the domain, then stamped)."""
    record = DomainRules().prepare_customer(values, None, PrepareContext(), id_)
    return {**record, "id": id_, "customer_number": number, "version": 1, "created_at": "t",
            "updated_at": "t", "created_by": None, "updated_by": None}  # fmt: skip


def register(*records: dict) -> ExistingIndex:
    return ExistingIndex(customers={r["id"]: r for r in records})


def plan(rows, existing=None, **rules):
    lookups = LookupIndex()
    return plan_import(
        rows,
        template_layouts(),
        existing=existing or ExistingIndex(),
        lookups=lookups,
        rules=DomainRules(),
        ctx=PrepareContext(refs=lookups.references()),
        make_id=lambda r: f"{r.sheet}-{r.row}",
        match_rules=MatchRules(**rules),
    )


# --- the rules themselves ------------------------------------------------------------------


def test_rules_default_to_todays_matching_and_the_import_wins_over_the_mapping():
    assert resolve_match_rules(None, {}) == MatchRules(("import_id", "name"), "upsert", "keep")
    rules = resolve_match_rules(
        {"mode": "create_only"}, {"mode": "update_only", "match_on": ["email"]}
    )
    assert rules == MatchRules(("email",), "create_only", "keep")


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"match_on": ["fax"]}, "match_on[0]"),
        ({"match_on": ["email", "name", "email"]}, "match_on[2]"),
        ({"match_on": []}, "match_on"),
        ({"match_on": "email"}, "match_on"),
        ({"mode": "merge"}, "mode"),
        ({"blank_cells": "wipe"}, "blank_cells"),
    ],
)
def test_bad_rules_name_their_field(given, field):
    with pytest.raises(ValidationFailed) as refused:
        check_match_rules(given)
    assert [e.field for e in refused.value.errors] == [field]


def test_the_register_tries_keys_in_order_and_reports_a_key_two_customers_hold():
    customers = register(
        stored("a", "C000001", name="Acme", email="office@acme.example", phone="0398765432"),
        stored("b", "C000002", name="Acme South", email="OFFICE@acme.example"),
    ).customers
    keys = row_keys({"email": "office@acme.example", "phone": "+61 3 9876 5432"}, "Acme", "AU")
    by = Register(customers)
    assert by.match(keys, ["phone", "email"]) == Matched("a", "phone", "phone")
    assert by.match(keys, ["email", "phone"]) == Ambiguous("email", "email", ("a", "b"))
    assert by.match(keys, ["import_id"]) is None


# --- in the planner ------------------------------------------------------------------------


def test_match_on_email_updates_and_renames_the_customer_holding_it():
    existing = register(stored("a", "C000001", name="Acme", email="jo@acme.example"))
    result = plan([row("customers", 2, name="Acme Pty", email="JO@ACME.example")], existing,
                  match_on=("email",))  # fmt: skip
    outcome = result.outcomes[0]
    assert (outcome.action, outcome.record["id"], outcome.record["name"]) == (
        "updated", "a", "Acme Pty",
    )  # fmt: skip


def test_a_name_another_customer_holds_cannot_go_to_the_email_match():
    existing = register(
        stored("a", "C000001", name="Acme", email="jo@acme.example"),
        stored("b", "C000002", name="Beta"),
    )
    result = plan([row("customers", 2, name="Beta", email="jo@acme.example")], existing,
                  match_on=("email",))  # fmt: skip
    assert result.outcomes[0].action == "failed"
    assert result.errors[0].message == "'Beta' is already the name of another customer"


def test_two_rows_matching_one_customer_are_not_merged():
    existing = register(stored("a", "C000001", name="Acme", import_id="A1"))
    result = plan(
        [row("customers", 2, name="Acme New", import_id="A1"), row("customers", 3, name="Acme")],
        existing,
    )
    assert [o.action for o in result.outcomes] == ["updated", "failed"]
    assert "row 2 of Customers" in result.errors[0].message


def test_create_only_and_update_only():
    existing = register(stored("a", "C000001", name="Acme"))
    rows = [row("customers", 2, name="acme"), row("customers", 3, name="Newco")]
    created = plan(rows, existing, mode="create_only")
    updated = plan(rows, existing, mode="update_only")
    assert [o.action for o in created.outcomes] == ["failed", "created"]
    assert created.errors[0].message == "already exists as C000001"
    assert [o.action for o in updated.outcomes] == ["updated", "failed"]
    assert updated.errors[0].column == "Customer Name"


def test_update_only_applies_to_contacts_too():
    existing = register(stored("a", "C000001", name="Acme"))
    jo = {"id": "k", "customer_id": "a", "first_name": "Jo", "last_name": "Bloggs",
          "is_default": True, "version": 1}  # fmt: skip
    existing.contacts = {"k": jo}
    result = plan(
        [
            row(
                "contacts",
                2,
                customer="Acme",
                first_name="Jo",
                last_name="Bloggs",
                phone="0412345678",
            ),
            row("contacts", 3, customer="Acme", first_name="Sam"),
        ],
        existing,
        mode="update_only",
    )
    assert [o.action for o in result.outcomes] == ["updated", "failed"]


def test_blank_cells_clear_only_mapped_fields_and_never_the_name():
    existing = register(
        stored("a", "C000001", name="Acme", email="jo@acme.example", notes="gate",
               customer_type_id=None)
    )  # fmt: skip
    result = plan([row("customers", 2, name="Acme")], existing, blank_cells="clear")
    record = result.outcomes[0].record
    assert result.outcomes[0].action == "updated"
    assert (record["name"], record["email"], record["notes"]) == ("Acme", None, None)
    kept = plan([row("customers", 2, name="Acme")], existing)
    assert kept.outcomes[0].action == "unchanged"


def test_a_new_row_like_an_existing_customer_or_an_earlier_row_is_created_with_a_warning():
    existing = register(stored("a", "C000001", name="Acme", phone="03 9876 5432"))
    result = plan(
        [
            row("customers", 2, name="Acme Plumbing", phone="(03) 9876 5432"),
            row("customers", 3, name="Beta", email="b@x.example",
                **{"site_address.line1": "1 Bay Rd", "site_address.postcode": "2000"}),
            row("customers", 4, name="Beta Two", email="B@x.example",
                **{"site_address.line1": "1 bay road", "site_address.postcode": "2000"}),
        ],
        existing,
    )  # fmt: skip
    assert [o.action for o in result.outcomes] == ["created"] * 3
    messages = [(w.row, w.column, w.message) for w in result.warnings]
    assert messages == [
        (2, "Phone", "possibly the same as C000001 (same phone)"),
        (4, "Email", "possibly the same as row 3 of Customers (same email and site address)"),
    ]


def test_an_update_is_never_warned_as_a_duplicate():
    existing = register(
        stored("a", "C000001", name="Acme", phone="0398765432"),
        stored("b", "C000002", name="Beta", phone="0398765432"),
    )
    result = plan([row("customers", 2, name="Acme", notes="hi")], existing)
    assert result.outcomes[0].action == "updated" and result.warnings == []
