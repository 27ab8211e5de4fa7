"""prepare_customer and friends on plain dicts: the rules the API and the importer share."""

from __future__ import annotations

import pytest

from chalicelib.domain.custom_fields import CustomFieldDefinition
from chalicelib.domain.customers import (
    References,
    find_billing_loop,
    prepare_customer,
    prepare_equipment,
)
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.tenant_settings import TenantSettings

AU = TenantSettings()
REFS = References(customer_types={"res"}, users={"u1"}, customers={"agent"})


def prepare(data, **kw):
    return prepare_customer(data, refs=kw.pop("refs", REFS), settings=AU, **kw)


def failed_fields(data, **kw) -> set[str]:
    with pytest.raises(ValidationFailed) as caught:
        prepare(data, **kw)
    return {e.field for e in caught.value.errors}


def test_new_customer_gets_defaults_and_a_derived_name():
    record = prepare({"company_name": "  Smithfield   Plumbing "})
    assert record["name"] == "Smithfield Plumbing"
    assert record["status"] == "active" and record["on_hold"] is False
    assert record["customer_number"] is None  # the store numbers it
    assert record["billing"]["invoice_options"]["email_invoices"] is False


def test_every_bad_field_is_reported_at_once():
    assert failed_fields(
        {
            "name": "X",
            "email": "a@",
            "mobile": "abc",
            "customer_type_id": "com",
            "assigned_user_id": "u9",
            "billing": {"billing_customer_id": "stranger", "invoice_options": {"fax": True}},
            "colour": "red",
        }
    ) == {
        "email",
        "mobile",
        "customer_type_id",
        "assigned_user_id",
        "billing.billing_customer_id",
        "billing.invoice_options.fax",
        "colour",
    }


def test_update_changes_only_given_fields_and_keeps_an_archived_reference():
    existing = {**prepare({"name": "A", "customer_type_id": "res"}), "id": "c1"}
    changed = prepare(
        {"notes": "gate code 1234"},
        existing=existing,
        refs=References(),  # "res" was archived since
    )
    assert changed["customer_type_id"] == "res" and changed["notes"] == "gate code 1234"
    assert failed_fields({"billing": {"billing_customer_id": "c1"}}, existing=existing) == {
        "billing.billing_customer_id"
    }


def test_custom_fields_merge_on_update():
    defs = [
        CustomFieldDefinition("gate", "Gate", "text"),
        CustomFieldDefinition("pets", "Pets", "boolean"),
    ]
    first = prepare({"name": "A", "custom_fields": {"gate": "1234"}}, custom_field_definitions=defs)
    second = prepare(
        {"custom_fields": {"pets": "yes"}}, existing=first, custom_field_definitions=defs
    )
    assert second["custom_fields"] == {"gate": "1234", "pets": True}


def test_billing_loops_are_found_within_a_bounded_walk():
    parents = {"b": "c", "c": "a"}
    assert find_billing_loop("a", "b", parents.get).field == "billing.billing_customer_id"
    assert find_billing_loop("z", "b", parents.get) is None
    chain = {str(n): str(n + 1) for n in range(50)}
    assert "longer" in find_billing_loop("x", "0", chain.get).message


def test_equipment_service_period_must_run_forwards():
    with pytest.raises(ValidationFailed) as caught:
        prepare_equipment(
            {
                "equipment_type_id": "t",
                "service_period_start": "2024-05-01",
                "service_period_end": "1/4/2024",
            },
            refs=References(equipment_types={"t"}),
            settings=AU,
        )
    assert [e.field for e in caught.value.errors] == ["service_period_end"]
