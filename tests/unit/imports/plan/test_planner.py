"""The planner alone, on lists of rows: matching, linking, validation, lookups; no AWS."""

from __future__ import annotations

from chalicelib.imports.plan.lookups import LookupIndex, missing_lookups
from chalicelib.imports.plan.planner import plan_import
from chalicelib.imports.ports import ExistingIndex, PrepareContext
from chalicelib.imports.wiring import DomainRules
from tests.unit.imports.factories import sheet_row, template_layouts

row = sheet_row


def plan(rows, existing=None, lookups=None):
    lookups = lookups or LookupIndex()
    return plan_import(
        rows,
        template_layouts(),
        existing=existing or ExistingIndex(),
        lookups=lookups,
        rules=DomainRules(),
        ctx=PrepareContext(refs=lookups.references()),
        make_id=lambda r: f"{r.sheet}-{r.row}",
    )


def test_site_before_its_billing_customer_is_linked():
    result = plan([
        row("sites", 2, name="12 Smith St", billing_customer="pm-1"),
        row("customers", 2, name="Acme PM", import_id="PM-1"),
    ])  # fmt: skip
    site = result.outcomes[0].record
    assert result.outcomes[0].action == "created"
    assert site["billing"]["billing_customer_id"] == "Customers-2"


def test_contact_before_its_customer_is_linked_by_name_ignoring_case_and_spaces():
    result = plan([
        row("contacts", 2, customer="ACME   pm", first_name="Jo"),
        row("customers", 2, name="Acme PM"),
    ])  # fmt: skip
    assert result.outcomes[0].record["customer_id"] == "Customers-2"


def test_unknown_reference_is_a_row_error_naming_the_column_and_value():
    result = plan([row("equipment", 5, customer="Nobody", equipment_type="Boiler")])
    error = result.errors[0]
    assert (error.sheet, error.row, error.column, error.value) == (
        "Equipment", 5, "Customer Import ID or Name", "Nobody",
    )  # fmt: skip


def test_two_rows_with_one_name_are_reported_not_merged():
    result = plan(
        [
            row("customers", 2, name="Bob's Plumbing"),
            row("customers", 3, name="bobs plumbing"),
            row("customers", 4, name="BOB'S  plumbing"),
        ]
    )
    assert [o.action for o in result.outcomes] == ["created", "created", "failed"]
    assert "row 2 of Customers" in result.errors[0].message


def test_matching_prefers_import_id_and_blank_cells_keep_existing_values():
    existing = ExistingIndex(customers={})
    first = plan([row("customers", 2, name="Acme", import_id="A1", email="a@acme.example")])
    stored = {**first.outcomes[0].record, "version": 1, "created_at": "t", "updated_at": "t",
              "created_by": None, "updated_by": None}  # fmt: skip
    existing.customers[stored["id"]] = stored

    renamed = plan([row("customers", 9, name="Acme Pty Ltd", import_id="a1")], existing)
    same = plan([row("customers", 9, name="Acme")], existing)

    assert renamed.outcomes[0].action == "updated"
    assert renamed.outcomes[0].record["id"] == stored["id"]
    assert renamed.outcomes[0].record["email"] == "a@acme.example"
    assert same.outcomes[0].action == "unchanged"


def test_a_bad_row_does_not_stop_the_others():
    result = plan([row("customers", 2, name="A", email="nope"), row("customers", 3, name="B")])
    assert [o.action for o in result.outcomes] == ["failed", "created"]
    assert result.counts["customers"]["failed"] == 1


def test_creatable_lookups_are_listed_once_and_fixed_ones_are_row_errors():
    rows = [
        row("customers", 2, name="A", customer_type="Residential", payment_term="30 days"),
        row("customers", 3, name="B", customer_type="residential"),
    ]
    lookups = LookupIndex()
    assert missing_lookups(rows, lookups) == {"customer-types": ["Residential"]}
    lookups.add("customer-types", "Residential", "ct-1")
    result = plan(rows, lookups=lookups)
    assert result.outcomes[1].record["customer_type_id"] == "ct-1"
    assert result.errors[0].column == "Payment Term"


def test_billing_loops_in_the_file_are_refused():
    result = plan([
        row("customers", 2, name="A", billing_customer="B"),
        row("customers", 3, name="B", billing_customer="A"),
    ])  # fmt: skip
    assert {o.action for o in result.outcomes} == {"failed"}


def test_rows_that_need_a_customer_whose_row_failed_fail_and_say_which_row():
    result = plan([
        row("sites", 2, name="Flat 1", billing_customer="PM-1"),  # before its billing customer
        row("contacts", 2, customer="PM-1", first_name="Jo"),
        row("customers", 2, name="Acme PM", import_id="PM-1", email="not-an-email"),
        row("equipment", 2, customer="Flat 1", name="Boiler"),
    ])  # fmt: skip
    assert [o.action for o in result.outcomes] == ["failed"] * 4
    for outcome in result.outcomes[:2]:
        assert "row 2 of Customers failed" in outcome.errors[0].message
    assert "row 2 of Sites failed" in result.outcomes[3].errors[0].message


def test_a_failed_row_of_an_existing_customer_does_not_fail_its_sites():
    existing = ExistingIndex()
    first = plan([row("customers", 2, name="Acme PM")])
    stored = {**first.outcomes[0].record, "version": 1}
    existing.customers[stored["id"]] = stored

    result = plan([
        row("customers", 2, name="Acme PM", email="bad"),
        row("sites", 2, name="Flat 1", billing_customer="Acme PM"),
    ], existing)  # fmt: skip

    assert [o.action for o in result.outcomes] == ["failed", "created"]
    assert result.outcomes[1].record["billing"]["billing_customer_id"] == stored["id"]


def test_a_chain_of_new_billing_customers_is_decided_from_the_top():
    result = plan([
        row("sites", 2, name="Flat 1", billing_customer="Strata Co"),
        row("sites", 3, name="Strata Co", billing_customer="Big PM"),
        row("customers", 2, name="Big PM", email="bad"),
    ])  # fmt: skip
    assert [o.action for o in result.outcomes] == ["failed"] * 3
    assert "row 3 of Sites failed" in result.outcomes[0].errors[0].message


def test_one_default_contact_per_customer_as_through_the_api():
    first = plan([
        row("customers", 2, name="Acme"),
        row("contacts", 2, customer="Acme", first_name="Ann"),
        row("contacts", 3, customer="Acme", first_name="Bob"),
    ])  # fmt: skip
    assert [o.record["is_default"] for o in first.outcomes[1:]] == [True, False]

    customer = {**first.outcomes[0].record, "version": 1}
    ann, bob = ({**o.record, "version": 1} for o in first.outcomes[1:])
    existing = ExistingIndex(
        customers={customer["id"]: customer}, contacts={ann["id"]: ann, bob["id"]: bob}
    )
    moved = plan([
        row("contacts", 12, customer="Acme", first_name="Cat", is_default="Yes"),
        row("contacts", 13, customer="Acme", first_name="Dan", is_default="Yes"),
        row("contacts", 14, customer="Acme", first_name="Eve"),
    ], existing)  # fmt: skip

    cat, dan, eve = moved.outcomes
    assert cat.action == "created" and cat.record["is_default"] is True
    ((entity, demoted, before),) = cat.extra  # Ann, the default until now, is demoted
    assert entity == "contact" and before == ann
    assert demoted == {**{k: v for k, v in ann.items() if k != "version"}, "is_default": False}
    assert dan.action == "failed" and "row 12 of Contacts already makes" in dan.errors[0].message
    assert eve.record["is_default"] is False


def test_the_default_contact_cannot_be_unset_without_another():
    customer = {"id": "k1", "name": "Acme", "version": 1}
    ann = {"id": "c1", "customer_id": "k1", "first_name": "Ann", "is_default": True, "version": 1}
    existing = ExistingIndex(customers={"k1": customer}, contacts={"c1": ann})
    result = plan(
        [row("contacts", 2, customer="Acme", first_name="Ann", is_default="No")], existing
    )
    assert result.outcomes[0].action == "failed"
    assert "make another contact the default" in result.outcomes[0].errors[0].message
