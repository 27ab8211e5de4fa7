"""Behaviour of custom field definitions and of the values customers hold in them."""

from __future__ import annotations

import pytest

from chalicelib.domain.custom_fields import (
    CustomFieldDefinition,
    validate_custom_values,
    validate_definition,
)
from chalicelib.domain.errors import ValidationFailed


def field(key="warranty_provider", type="text", **kwargs):
    return CustomFieldDefinition(
        key=key, label=kwargs.pop("label", key.title()), type=type, **kwargs
    )


DEFINITIONS = [
    field("gate_code"),
    field("site_visits", "number"),
    field("last_inspection", "date"),
    field("has_dog", "boolean"),
    field("access", "choice", options=("Key safe", "Tenant", "Agent")),
]


def definition_errors(definition):
    with pytest.raises(ValidationFailed) as caught:
        validate_definition(definition)
    return {error.field: error.message for error in caught.value.errors}


def value_errors(values, definitions=DEFINITIONS, **kwargs):
    with pytest.raises(ValidationFailed) as caught:
        validate_custom_values(values, definitions, **kwargs)
    return {error.field: error.message for error in caught.value.errors}


# ---------------------------------------------------------------- definitions


def test_a_valid_definition_comes_back_with_label_and_options_trimmed():
    cleaned = validate_definition(
        field("access", "choice", label="  Site   access ", options=[" Key safe ", "Tenant"])
    )
    assert cleaned == CustomFieldDefinition(
        "access", "Site access", "choice", ("Key safe", "Tenant")
    )


@pytest.mark.parametrize(
    "key", ["Gate", "gate-code", "1st_visit", "gate__code", "gate_", "x" * 41, "", None]
)
def test_keys_must_be_short_lower_snake_identifiers(key):
    assert "key" in definition_errors(CustomFieldDefinition(key, "Gate", "text"))


def test_longest_allowed_key_is_accepted():
    assert validate_definition(field("k" * 40)).key == "k" * 40


def test_label_is_required():
    assert definition_errors(field(label="  ")) == {"label": "is required"}


def test_type_must_be_known():
    assert "type" in definition_errors(field(type="colour"))


def test_choice_field_needs_an_option():
    assert definition_errors(field(type="choice")) == {
        "options": "a choice field needs at least one option"
    }


def test_options_must_differ_ignoring_case():
    assert definition_errors(field(type="choice", options=("Tenant", "tenant "))) == {
        "options.1": "repeats 'Tenant' (ignoring case)"
    }


def test_only_choice_fields_have_options():
    assert definition_errors(field(type="number", options=("1",))) == {
        "options": "only choice fields have options"
    }


def test_every_fault_of_a_definition_is_reported_together():
    assert set(definition_errors(CustomFieldDefinition("Bad Key", "", "choice"))) == {
        "key",
        "label",
        "options",
    }


# ---------------------------------------------------------------- values


def test_values_are_normalized_by_type():
    values = {
        "gate_code": "  1234 ",
        "site_visits": "1,200",
        "last_inspection": "05/03/2024",
        "has_dog": "Yes",
        "access": "key SAFE",
    }
    assert validate_custom_values(values, DEFINITIONS) == {
        "gate_code": "1234",
        "site_visits": 1200,
        "last_inspection": "2024-03-05",
        "has_dog": True,
        "access": "Key safe",
    }


def test_dates_follow_the_tenant_date_order():
    result = validate_custom_values(
        {"last_inspection": "05/03/2024"}, DEFINITIONS, date_order="MDY"
    )
    assert result == {"last_inspection": "2024-05-03"}


def test_spreadsheet_cell_types_are_accepted():
    result = validate_custom_values(
        {"gate_code": 1234.0, "site_visits": 3.0, "last_inspection": 45356, "has_dog": 0},
        DEFINITIONS,
    )
    assert result == {
        "gate_code": "1234",
        "site_visits": 3,
        "last_inspection": "2024-03-05",
        "has_dog": False,
    }


def test_unknown_keys_and_bad_values_are_all_reported_at_once():
    errors = value_errors(
        {"colour": "red", "site_visits": "lots", "has_dog": "maybe", "access": "Owner"}
    )
    assert errors == {
        "custom_fields.colour": "is not a defined custom field",
        "custom_fields.site_visits": "is not a number",
        "custom_fields.has_dog": "is not yes or no: use true/false, yes/no or 1/0",
        "custom_fields.access": "is not one of the options: Key safe, Tenant, Agent",
    }


def test_required_field_missing_is_an_error():
    definitions = [*DEFINITIONS, field("permit_number", required=True)]
    assert value_errors({"gate_code": "1"}, definitions) == {
        "custom_fields.permit_number": "is required"
    }


def test_partial_update_merges_over_existing_values():
    definitions = [*DEFINITIONS, field("permit_number", required=True)]
    existing = {"permit_number": "P-1", "gate_code": "1234"}
    result = validate_custom_values({"has_dog": "no"}, definitions, existing=existing, partial=True)
    assert result == {"permit_number": "P-1", "gate_code": "1234", "has_dog": False}


def test_none_removes_a_value_and_removing_a_required_one_fails():
    definitions = [*DEFINITIONS, field("permit_number", required=True)]
    existing = {"permit_number": "P-1", "gate_code": "1234"}
    result = validate_custom_values(
        {"gate_code": None}, definitions, existing=existing, partial=True
    )
    assert result == {"permit_number": "P-1"}
    assert value_errors({"permit_number": None}, definitions, existing=existing, partial=True) == {
        "custom_fields.permit_number": "is required"
    }


def test_a_full_write_replaces_existing_values():
    result = validate_custom_values({"has_dog": True}, DEFINITIONS, existing={"gate_code": "1"})
    assert result == {"has_dog": True}


def test_inactive_fields_keep_old_values_but_take_no_new_ones():
    definitions = [field("old_code", active=False, required=True)]
    existing = {"old_code": "A"}
    assert validate_custom_values({}, definitions, existing=existing, partial=True) == existing
    assert value_errors({"old_code": "B"}, definitions) == {
        "custom_fields.old_code": "is a custom field no longer in use"
    }


def test_no_values_and_no_required_fields_is_empty():
    assert validate_custom_values(None, DEFINITIONS) == {}


def test_custom_fields_must_be_an_object():
    assert value_errors(["gate_code"]) == {"custom_fields": "must be an object"}
