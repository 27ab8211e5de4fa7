"""The export's cells and sheets from in-memory records: no AWS needed."""

from __future__ import annotations

import datetime as dt

from chalicelib.exports.workbook import Names, Register, cell_value, write_export
from chalicelib.imports.catalog.fields import fields_for


def field(target: str, key: str):
    return next(f for f in fields_for(target) if f.key == key)


NAMES = Names(
    lookups={"payment-terms": {"pt-1": "30 EOM"}, "contact-roles": {"r-1": "Owner"}},
    users={"u-1": "Ann Manager"},
    customers={"c-1": "PM-1", "c-2": "Jo Citizen"},
)


def test_ids_become_the_names_a_template_cell_holds():
    site = {
        "payment_term_id": "pt-1",
        "assigned_user_id": "u-1",
        "billing": {"billing_customer_id": "c-1", "care_of": "Accounts"},
        "on_hold": False,
        "site_address": {"suburb": "Carlton"},
    }
    assert cell_value(field("sites", "payment_term"), site, NAMES) == "30 EOM"
    assert cell_value(field("sites", "assigned_user"), site, NAMES) == "Ann Manager"
    assert cell_value(field("sites", "billing_customer"), site, NAMES) == "PM-1"
    assert cell_value(field("sites", "billing.care_of"), site, NAMES) == "Accounts"
    assert cell_value(field("sites", "on_hold"), site, NAMES) == "No"
    assert cell_value(field("sites", "site_address.suburb"), site, NAMES) == "Carlton"
    contact = {"customer_id": "c-2", "role_id": "r-1", "is_default": True}
    assert cell_value(field("contacts", "customer"), contact, NAMES) == "Jo Citizen"
    assert cell_value(field("contacts", "role"), contact, NAMES) == "Owner"
    assert cell_value(field("contacts", "is_default"), contact, NAMES) == "Yes"
    unit = {"installation_date": "2020-01-31"}
    assert cell_value(field("equipment", "installation_date"), unit, NAMES) == dt.date(2020, 1, 31)


def test_sites_name_a_billing_customer_that_comes_later_and_children_follow(tmp_path):
    from openpyxl import load_workbook

    customers = [
        {"id": "s-1", "name": "Unit 4", "billing": {"billing_customer_id": "c-9"}},
        {"id": "c-9", "name": "Acme", "import_id": "PM-9"},
    ]
    register = Register(
        customers=lambda: iter(customers),
        contacts=lambda: [{"customer_id": "c-9", "first_name": "Pat"}],
        equipment=lambda: [{"customer_id": "s-1", "name": "HWS"}],
    )
    path = tmp_path / "export.xlsx"

    only_sites = tmp_path / "sites.xlsx"
    counts = write_export(only_sites, register, Names(), customer_label="Client", targets=["sites"])
    assert counts == {"sites": 1}
    rows = list(load_workbook(only_sites, read_only=True)["Sites"].iter_rows(values_only=True))
    assert rows[1][rows[0].index("Billing Client")] == "PM-9"
    counts = write_export(path, register, Names(), customer_label="Client")

    assert counts == {"customers": 1, "sites": 1, "contacts": 1, "equipment": 1}
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["Clients", "Sites", "Contacts", "Equipment"]
    sites = list(book["Sites"].iter_rows(values_only=True))
    assert sites[1][sites[0].index("Billing Client")] == "PM-9"
    assert list(book["Equipment"].iter_rows(values_only=True))[1][0] == "Unit 4"


def test_children_of_customers_not_exported_are_left_out(tmp_path):
    from openpyxl import load_workbook

    register = Register(
        customers=lambda: iter([{"id": "c-1", "name": "Acme"}]),
        contacts=lambda: [
            {"customer_id": "c-1", "first_name": "Pat"},
            {"customer_id": "archived-1", "first_name": "Gone"},
        ],
        equipment=lambda: [{"customer_id": "archived-1", "name": "Old HWS"}],
    )
    path = tmp_path / "export.xlsx"

    counts = write_export(path, register, Names(), targets=["contacts", "equipment"])

    assert counts == {"contacts": 1, "equipment": 0}
    book = load_workbook(path, read_only=True)
    contacts = list(book["Contacts"].iter_rows(values_only=True))
    assert [row[:2] for row in contacts[1:]] == [("Acme", "Pat")]
    assert len(list(book["Equipment"].iter_rows(values_only=True))) == 1  # the header only


def test_custom_fields_are_columns_of_the_customer_sheets_with_their_values(tmp_path):
    from openpyxl import load_workbook

    from chalicelib.domain.custom_fields import CustomFieldDefinition as Definition

    definitions = [
        Definition("gate_code", "Gate Code", "text"),
        Definition("serviced", "Serviced On", "date"),
        Definition("strata", "Strata", "boolean"),
        Definition("units", "Units", "number"),
        Definition("zone", "Zone", "choice", ("North", "South")),
        Definition("old_code", "Old Code", "text", active=False),
    ]
    values = {"gate_code": "=1234", "serviced": "2024-03-31", "strata": True, "units": 12}
    customers = [
        {"id": "c-1", "name": "Acme", "custom_fields": {**values, "zone": "South"}},
        {"id": "s-1", "name": "Unit 4", "billing": {"billing_customer_id": "c-1"}},
    ]
    register = Register(customers=lambda: iter(customers), contacts=list, equipment=list)
    path = tmp_path / "export.xlsx"

    write_export(path, register, Names(), custom_fields=definitions, targets=["customers", "sites"])

    book = load_workbook(path, read_only=True)
    header, acme = list(book["Customers"].iter_rows(values_only=True))
    exported = dict(zip(header, acme, strict=True))
    assert header[-5:] == ("Gate Code", "Serviced On", "Strata", "Units", "Zone")
    assert exported["Gate Code"] == "=1234"  # text, not a formula
    assert exported["Serviced On"] == dt.datetime(2024, 3, 31)
    assert (exported["Strata"], exported["Units"], exported["Zone"]) == ("Yes", 12, "South")
    sites_header = next(book["Sites"].iter_rows(max_row=1, values_only=True))
    assert "Zone" in sites_header and "Old Code" not in sites_header
