"""Role words in property-management headers: the occupant is the customer, the payer its
billing customer, and neither the payer's nor the owner's contact details are the customer's."""

from __future__ import annotations

import pytest

from chalicelib.imports.mapping.suggest import suggest_mapping


def field_of(header: str, target: str = "sites") -> str | None:
    (column,) = suggest_mapping([header], [], target).columns
    return column.field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Tenant Name", "name"),
        ("Tenant", "name"),
        ("Tenant(s)", "name"),
        ("Occupant", "name"),
        ("Tenant Phone", "phone"),
        ("Tenant Home Phone", "phone"),
        ("Tenant Mobile Phone", "mobile"),
        ("Occupant Mob", "mobile"),
        ("Tenant Email Address", "email"),
        ("Resident Email", "email"),
    ],
)
def test_the_occupants_words_go_to_the_customer(header, field):
    assert field_of(header) == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Managing Agent", "billing_customer"),
        ("Agent", "billing_customer"),
        ("Landlord", "billing_customer"),
        ("Owners Corporation", "billing_customer"),
        ("Body Corporate", "billing_customer"),
        ("Agent Ref", "billing.account_number"),
        ("Agent Reference", "billing.account_number"),
        ("Strata Plan No.", "billing.account_number"),
        ("Strata Manager", "billing.care_of"),
    ],
)
def test_the_payers_words_go_to_the_billing_customer(header, field):
    assert field_of(header) == field


@pytest.mark.parametrize(
    "header",
    ["Owner Email", "Owner Phone", "Owner Name", "Landlord Email", "Landlord Phone",
     "Agent Mobile"],
)  # fmt: skip
def test_the_payers_and_owners_contact_details_stay_unmapped_saying_why(header):
    (column,) = suggest_mapping([header], [], "sites").columns
    assert column.field is None
    assert column.reason == "ignored" and column.note


def test_a_customers_list_reads_role_words_the_same_way():
    headers = ["Tenant Name", "Tenant Email", "Landlord", "Landlord Email"]
    fields = [c.field for c in suggest_mapping(headers, [], "customers").columns]
    assert fields == ["name", "email", "billing_customer", None]


def test_owner_alone_is_the_propertys_owner_only_beside_property_roles():
    crm = [c.field for c in suggest_mapping(["Account Name", "Owner"], [], "customers").columns]
    assert crm == ["name", "assigned_user"]  # Dynamics, Salesforce: the record's owner
    rentals = suggest_mapping(["Tenant Name", "Owner"], [], "sites").columns
    assert [c.field for c in rentals] == ["name", None]
    assert "owner" in rentals[1].note


def test_one_billing_customer_per_file_the_first_payer_column_keeps_it():
    headers = ["Agent", "Property Manager", "Owner"]
    fields = [c.field for c in suggest_mapping(headers, [], "sites").columns]
    assert fields == ["billing_customer", None, None]
