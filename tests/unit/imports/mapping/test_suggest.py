"""Suggesting column → field mappings from headers and sample values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from chalicelib.imports.catalog.fields import field_by_label, fields_for, required_rules
from chalicelib.imports.mapping.suggest import suggest_mapping
from chalicelib.imports.read.headers import normalise_header

CORPUS = json.loads((Path(__file__).parent / "data" / "header_corpus.json").read_text())["sets"]


@dataclass
class CustomField:
    key: str
    label: str
    type: str = "text"
    options: tuple = ()
    required: bool = False


def fields_of(headers, rows=(), target="customers", **kwargs):
    suggestion = suggest_mapping(headers, list(rows), target, **kwargs)
    return [c.field for c in suggestion.columns]


def test_corpus_accuracy_is_at_least_ninety_percent_with_few_false_mappings():
    total = correct = false_maps = expected_null = 0
    for entry in CORPUS:
        got = fields_of(entry["headers"], target=entry["target"])
        for field, expected in zip(got, entry["expected"], strict=True):
            total += 1
            correct += field == expected
            expected_null += expected is None
            false_maps += expected is None and field is not None

    assert len(CORPUS) >= 12
    assert correct / total >= 0.9
    assert false_maps <= 0.03 * expected_null


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("SAAddressLine1", "sa address line 1"),
        ("Main phone #", "main phone number"),
        ("Phone No. 1", "phone number 1"),
        ("E-mails", "emails"),
        ("customer_type", "customer type"),
        ("Phone (2)", "phone"),
    ],
)
def test_headers_are_normalised(header, expected):
    assert normalise_header(header) == expected


def test_template_label_maps_exactly_with_full_confidence():
    column = suggest_mapping(["Client Name"], [], customer_label="Client").columns[0]

    assert (column.field, column.confidence, column.reason) == ("name", 1.0, "exact")


def test_billing_prefixes_go_to_billing_address_and_others_to_site():
    got = fields_of(["Mailing City", "PO Postal Code", "Shipping Street", "City", "Postcode"])

    assert got == [
        "billing_address.suburb",
        "billing_address.postcode",
        "site_address.line1",
        "site_address.suburb",
        "site_address.postcode",
    ]


def test_myob_continuation_headers_take_their_group_prefix():
    headers = ["Addr 1 - Line 1", "- City", "Addr 2 - Line 1", "- City (2)"]

    assert fields_of(headers) == [
        "site_address.line1",
        "site_address.suburb",
        "billing_address.line1",
        "billing_address.suburb",
    ]


def test_two_columns_never_share_a_field_and_the_loser_says_why():
    suggestion = suggest_mapping(["Phone", "Main Phone", "Telephone"], [])

    assert [c.field for c in suggestion.columns] == ["phone", None, None]
    assert suggestion.columns[1].reason == "duplicate"
    assert "column 1" in suggestion.columns[1].note
    assert [c.column for c in suggestion.unmapped] == [1, 2]


def test_fuzzy_match_catches_typos_but_weak_guesses_stay_unmapped():
    suggestion = suggest_mapping(["Emial Adress", "Favourite colour"], [])

    assert suggestion.columns[0].field == "email"
    assert suggestion.columns[0].reason == "fuzzy"
    assert 0 < suggestion.columns[0].confidence < 0.95
    assert suggestion.columns[1].field is None


def test_known_non_fields_stay_unmapped():
    assert fields_of(["Fax No.", "Website", "ABN", "Opening Balance"]) == [None] * 4


def test_values_decide_when_the_header_says_nothing():
    headers = ["Column A", "Column B", "Column C", "Column D", "Column E"]
    rows = [
        ["Acme", "acme@example.com", "0412 345 678", "Richmond", "3121"],
        ["Beta", "beta@example.com", "+61 498 765 432", "Kew", "3101"],
        ["Gamma", "g@example.com.au", "0423456789", "Hawthorn", "3122"],
    ]

    suggestion = suggest_mapping(headers, rows)

    assert [c.field for c in suggestion.columns] == [
        None,
        "email",
        "mobile",
        "site_address.suburb",
        "site_address.postcode",
    ]
    assert suggestion.columns[1].reason == "values"


def test_values_do_not_override_a_header_that_says_something_else():
    rows = [["a@example.com"], ["b@example.com"]]

    assert fields_of(["Fax"], rows) == [None]


def test_custom_fields_can_be_suggested():
    custom = [CustomField("gate_code", "Gate Code")]

    assert fields_of(["Gate Code", "gate_code"], custom_fields=custom) == [
        "custom_fields.gate_code",
        None,
    ]


def test_equipment_and_contacts_targets_use_their_own_fields():
    assert fields_of(["Customer", "Serial No.", "Asset Type"], target="equipment") == [
        "customer",
        "serial_number",
        "equipment_type",
    ]
    assert fields_of(["Company", "Job Title"], target="contacts") == ["customer", "role"]


def test_unknown_target_is_refused():
    with pytest.raises(ValueError, match="unknown import target"):
        suggest_mapping(["Name"], [], "invoices")


def test_catalog_labels_use_the_customer_label_and_sites_require_a_billing_customer():
    sites = fields_for("sites", customer_label="Client")

    assert sites[0].label == "Client Name"
    assert next(f for f in sites if f.key == "billing_customer").required
    assert not next(f for f in fields_for("customers") if f.key == "billing_customer").required
    assert field_by_label("contacts", "client import id or name", "Client").key == "customer"
    assert {r.keys for r in required_rules("customers")} == {
        ("name", "company_name", "first_name", "last_name")
    }


def test_field_to_dict_is_json_ready():
    field = next(f for f in fields_for("equipment") if f.key == "equipment_type")

    data = json.loads(json.dumps(field.to_dict()))

    assert data["lookup_kind"] == "equipment-types"
    assert data["required"] is True
    assert data["type"] == "lookup"


def test_entity_prefixed_headers_are_read_without_their_entity():
    headers = ["Organization - Owner", "Organization - Address - City/town/village/locality"]

    assert fields_of(headers) == ["assigned_user", "site_address.suburb"]


def test_google_style_value_and_type_columns():
    suggestion = suggest_mapping(["E-mail 1 - Type", "E-mail 1 - Value"], [])

    assert [c.field for c in suggestion.columns] == [None, "email"]
    assert suggestion.columns[0].reason == "ignored"


def test_secondary_addresses_do_not_take_the_site_address():
    assert fields_of(["Other Street", "Other City"]) == [None, None]


def test_template_headers_marked_required_still_find_their_field():
    assert field_by_label("customers", "Customer Name *").key == "name"
    assert field_by_label("equipment", "Equipment Type (required)").key == "equipment_type"
    assert field_by_label("customers", "Shoe Size") is None
