"""The value policy: a bad cell costs only its value (skip_value); identity and links fail rows."""

from __future__ import annotations

import pytest

from chalicelib.domain.custom_fields import CustomFieldDefinition
from chalicelib.imports.catalog.fields import fields_for
from chalicelib.imports.plan.lookups import LookupIndex
from chalicelib.imports.plan.planner import plan_import
from chalicelib.imports.ports import ExistingIndex, PrepareContext
from chalicelib.imports.read.rows import SheetRow, sheet_layout
from chalicelib.imports.wiring import DomainRules

SHEETS = {
    "customers": "Customers",
    "sites": "Sites",
    "contacts": "Contacts",
    "equipment": "Equipment",
}
CUSTOM = (CustomFieldDefinition("units", "Units", "number"),)


class Item:
    """A LookupItem or UserItem as LookupIndex.build reads it."""

    def __init__(self, kind: str, name: str, id: str, email: str = "") -> None:
        self.kind, self.name, self.id, self.email, self.active = kind, name, id, email, True


LOOKUPS = LookupIndex.build(
    [
        Item("payment-terms", "30 days", "pt-30"),
        Item("price-levels", "Trade", "pl-trade"),
        Item("equipment-types", "Boiler", "et-boiler"),
    ],
    [Item("", "Priya Office", "u-priya", "priya@example.test")],
)


def row(target: str, number: int, **fields) -> SheetRow:
    return SheetRow(SHEETS[target], target, number, tuple(fields.values()), fields)


def plan(rows, existing=None, on_invalid_value="skip_value"):
    layouts = [
        sheet_layout(t, s, [f.label for f in fields_for(t, "Customer", CUSTOM)], "Customer", CUSTOM)
        for t, s in SHEETS.items()
    ]
    return plan_import(
        rows,
        layouts,
        existing=existing or ExistingIndex(),
        lookups=LOOKUPS,
        rules=DomainRules(),
        ctx=PrepareContext(refs=LOOKUPS.references(), custom_fields=CUSTOM),
        make_id=lambda r: f"{r.sheet}-{r.row}",
        on_invalid_value=on_invalid_value,
    )


def stored(record: dict) -> dict:
    return {**record, "version": 1, "created_at": "t", "updated_at": "t"}


# (target, the bad cell, its column label, a word of the reason, what the record holds instead)
VALUE_PROBLEMS = [
    ("customers", {"email": "accounts@@acme"}, "Email", "email", {"email": None}),
    ("customers", {"phone": "12"}, "Phone", "phone", {"phone": None, "phone_e164": None}),
    ("customers", {"payment_term": "60 days"}, "Payment Term", "payment term",
     {"payment_term_id": None}),
    ("customers", {"price_level": "Gold"}, "Price Level", "price level", {"price_level_id": None}),
    ("customers", {"assigned_user": "Nobody Here"}, "Assigned User", "user",
     {"assigned_user_id": None}),
    ("sites", {"site_address.line1": "1 A St", "site_address.state": "Qeensland"}, "Site State",
     "state", {"site_address": {"line1": "1 A St", "state": None}}),
    ("customers", {"site_address.line1": "1 A St", "site_address.postcode": "40000"},
     "Site Postcode", "postcode", {"site_address": {"line1": "1 A St", "postcode": None}}),
    ("customers", {"custom_fields.units": "a few"}, "Units", "number", {"custom_fields": {}}),
    ("customers", {"notes": "Gate code 4411. " * 400}, "Notes", "too long", {"notes": None}),
    ("customers", {"on_hold": "maybe"}, "On Hold", "yes", {"on_hold": False}),
    ("contacts", {"email": "jo at acme"}, "Email", "email", {"email": None}),
    ("equipment", {"installation_date": "31/31/2021"}, "Installation Date", "date",
     {"installation_date": None}),
]  # fmt: skip


def _owned(target: str, cells: dict) -> list[SheetRow]:
    """The row with the bad cell, and the customer a contact or equipment row belongs to."""
    if target == "contacts":
        return [row("customers", 2, name="Acme"), row(target, 5, customer="Acme", first_name="Jo",
                                                      **cells)]  # fmt: skip
    if target == "equipment":
        return [row("customers", 2, name="Acme"),
                row(target, 5, customer="Acme", equipment_type="Boiler", **cells)]  # fmt: skip
    return [row(target, 5, name="Acme Realty", **cells)]


@pytest.mark.parametrize(("target", "cells", "column", "reason", "instead"), VALUE_PROBLEMS)
def test_a_bad_value_is_a_warning_and_the_row_is_written_without_it(
    target, cells, column, reason, instead
):
    result = plan(_owned(target, cells))

    outcome = result.outcomes[-1]
    assert outcome.action == "created" and not result.errors
    (warning,) = outcome.warnings
    bad_key = next(k for k in cells if fields_label(target, k) == column)
    assert (warning.sheet, warning.row, warning.column, warning.value) == (
        SHEETS[target], 5, column, cells[bad_key],
    )  # fmt: skip
    assert reason in warning.message.lower()
    for key, value in instead.items():
        if isinstance(value, dict):
            assert {k: outcome.record[key][k] for k in value} == value
        else:
            assert outcome.record[key] == value
    assert result.counts[target]["warned"] == 1 and result.counts[target]["created"] == 1


def fields_label(target: str, key: str) -> str:
    return next(f.label for f in fields_for(target, "Customer", CUSTOM) if f.key == key)


def test_warnings_use_the_row_error_shape():
    result = plan([row("customers", 7, name="Acme", email="nope")])
    assert result.warnings[0].to_dict() == {
        "sheet": "Customers",
        "row": 7,
        "column": "Email",
        "value": "nope",
        "message": result.warnings[0].message,
    }


def test_each_bad_value_of_a_row_is_left_out_and_the_good_ones_kept():
    result = plan([
        row("customers", 2, name="Acme", email="nope", phone="12", mobile="0412 555 130",
            payment_term="30 days", price_level="Gold"),
    ])  # fmt: skip
    (outcome,) = result.outcomes
    assert sorted(w.column for w in outcome.warnings) == ["Email", "Phone", "Price Level"]
    assert outcome.record["mobile_e164"] == "+61412555130"
    assert outcome.record["payment_term_id"] == "pt-30"
    assert result.counts["customers"]["warned"] == 1


def test_a_value_refused_on_the_second_try_is_left_out_too():
    # A bad country hides the state and postcode until the address is read without it.
    result = plan([
        row("customers", 2, name="Acme", **{"site_address.line1": "1 A St",
            "site_address.country": "Narnia", "site_address.state": "Bogus",
            "site_address.postcode": "12"}),
    ])  # fmt: skip
    (outcome,) = result.outcomes
    assert outcome.action == "created"
    assert [w.column for w in outcome.warnings] == ["Site Country", "Site State", "Site Postcode"]
    assert outcome.record["site_address"]["line1"] == "1 A St"
    assert outcome.record["site_address"]["country"] == "AU"


def test_an_update_keeps_the_stored_value_when_the_new_cell_is_bad():
    first = plan([
        row("customers", 2, name="Acme", email="a@acme.example", price_level="Trade",
            **{"site_address.line1": "1 A St",
            "site_address.postcode": "4000", "custom_fields.units": "3"}),
    ])  # fmt: skip
    assert not first.warnings
    before = stored(first.outcomes[0].record)
    existing = ExistingIndex(customers={before["id"]: before})

    result = plan([
        row("customers", 9, name="Acme", email="nope", price_level="Gold",
            notes="Call first", **{"site_address.postcode": "40000",
            "custom_fields.units": "lots"}),
    ], existing)  # fmt: skip

    (outcome,) = result.outcomes
    assert outcome.action == "updated" and len(outcome.warnings) == 4
    record = outcome.record
    assert record["email"] == "a@acme.example" and record["price_level_id"] == "pl-trade"
    assert record["site_address"]["postcode"] == "4000"
    assert record["site_address"]["line1"] == "1 A St"
    assert record["custom_fields"] == {"units": 3}
    assert record["notes"] == "Call first"


def test_a_row_whose_only_change_is_a_bad_value_is_unchanged_and_warned():
    first = plan([row("customers", 2, name="Acme", email="a@acme.example")])
    before = stored(first.outcomes[0].record)
    result = plan(
        [row("customers", 2, name="Acme", email="nope")],
        ExistingIndex(customers={before["id"]: before}),
    )
    assert result.outcomes[0].action == "unchanged"
    assert result.counts["customers"] == {
        "created": 0, "updated": 0, "unchanged": 1, "failed": 0, "warned": 1,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "failed_row", "column"),
    [
        ([row("customers", 2, email="a@acme.example")], 2, "Customer Name"),
        ([row("customers", 2, name="Acme"), row("customers", 3, name="ACME")], 3,
         "Customer Name"),
        ([row("customers", 2, name="A", import_id="X1"),
          row("customers", 3, name="B", import_id="x1")], 3, "Import ID"),
        ([row("sites", 2, name="Flat 1", billing_customer="Nobody")], 2, "Billing Customer"),
        ([row("customers", 2, name="A", billing_customer="B"),
          row("customers", 3, name="B", billing_customer="A")], 2, "Billing Customer"),
        ([row("contacts", 2, customer="Nobody", first_name="Jo")], 2,
         "Customer Import ID or Name"),
        ([row("equipment", 2, customer="Nobody", equipment_type="Boiler")], 2,
         "Customer Import ID or Name"),
        ([row("customers", 2, name="Acme"), row("equipment", 2, customer="Acme", name="Boiler")],
         2, "Equipment Type"),
        ([row("customers", 2, name="Acme"), row("contacts", 2, customer="Acme", email="a@b.co")],
         2, "First Name"),
    ],
    ids=["no name", "a name twice", "an import id twice", "unknown billing customer",
         "billing loop", "contact of nobody", "equipment of nobody", "no equipment type",
         "contact without a name"],
)  # fmt: skip
def test_identity_and_link_problems_still_fail_the_row(rows, failed_row, column):
    result = plan(rows)
    failed = [o for o in result.outcomes if o.action == "failed"]
    assert failed and failed[0].row.row == failed_row
    assert failed[0].errors[0].column == column and not failed[0].warnings


def test_the_rows_of_a_customer_that_failed_fail_and_a_failed_row_warns_of_nothing():
    result = plan([
        row("customers", 2, import_id="PM-1", email="nope"),  # no name
        row("sites", 2, name="Flat 1", billing_customer="PM-1"),
        row("contacts", 2, customer="PM-1", first_name="Jo"),
    ])  # fmt: skip
    assert [o.action for o in result.outcomes] == ["failed"] * 3
    customer = result.outcomes[0]
    assert not customer.warnings  # its bad e-mail is one of its errors: nothing was written
    assert {e.column for e in customer.errors} == {"Customer Name", "Email"}
    assert "row 2 of Customers failed" in result.outcomes[1].errors[0].message
    assert result.counts["customers"]["warned"] == 0


def test_a_failed_row_reports_its_bad_values_as_errors_too():
    result = plan([
        row("customers", 2, name="Acme", payment_term="60 days"),
        row("customers", 3, name="acme", payment_term="60 days"),
    ])  # fmt: skip
    second = result.outcomes[1]
    assert second.action == "failed" and not second.warnings
    assert [e.column for e in second.errors] == ["Customer Name"]


def test_a_site_billed_to_a_warned_customer_is_linked():
    result = plan([
        row("sites", 2, name="Flat 1", billing_customer="PM-1"),
        row("customers", 2, name="Acme PM", import_id="PM-1", email="nope"),
    ])  # fmt: skip
    site, customer = result.outcomes
    assert customer.action == "created" and customer.warnings
    assert site.action == "created"
    assert site.record["billing"]["billing_customer_id"] == "Customers-2"


def test_a_second_default_contact_is_a_warning_and_the_contact_is_written():
    result = plan([
        row("customers", 2, name="Acme"),
        row("contacts", 2, customer="Acme", first_name="Ann", is_default="Yes"),
        row("contacts", 3, customer="Acme", first_name="Bob", is_default="Yes"),
    ])  # fmt: skip
    ann, bob = result.outcomes[1:]
    assert ann.record["is_default"] is True
    assert bob.action == "created" and bob.record["is_default"] is False
    assert "row 2 of Contacts already makes" in bob.warnings[0].message


def test_fail_row_fails_each_row_with_a_bad_value_as_before():
    result = plan(
        [
            row("customers", 2, name="Acme", email="nope"),
            row("sites", 2, name="Flat 1", billing_customer="Acme"),
            row("customers", 3, name="Beta", payment_term="60 days"),
            row("customers", 4, name="Gamma"),
        ],
        on_invalid_value="fail_row",
    )
    assert [o.action for o in result.outcomes] == ["failed", "failed", "failed", "created"]
    assert [e.column for e in result.errors[:1]] == ["Email"]
    assert result.outcomes[2].errors[0].column == "Payment Term"
    assert not result.warnings and result.counts["customers"]["warned"] == 0


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="on_invalid_value"):
        plan([row("customers", 2, name="Acme")], on_invalid_value="ignore")


def test_a_long_value_is_cut_where_a_warning_repeats_it():
    result = plan([row("customers", 2, name="Acme", notes="Gate code 4411. " * 400)])
    shown = result.warnings[0].to_dict()["value"]
    assert len(shown) == 200 and shown.endswith("…") and shown.startswith("Gate code 4411.")
    assert len(result.warnings[0].value) == 6400  # the workbook gets the whole cell
