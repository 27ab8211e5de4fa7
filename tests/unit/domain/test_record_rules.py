"""Rules moved out of routes and the store: lookups, users, settings, custom fields, archiving."""

import pytest

from chalicelib.domain.custom_fields import CustomFieldDefinition, merge_definition
from chalicelib.domain.customers import References, prepare_contact, prepare_customer
from chalicelib.domain.customers import refuse_archiving_a_billing_customer as refuse_archiving
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.domain.lookups import writable_kind
from chalicelib.domain.tenant_settings import TenantSettings, prepare_settings
from chalicelib.domain.users import prepare_user


def fields(failed: pytest.ExceptionInfo) -> set[str]:
    return {e.field for e in failed.value.errors}


def test_staff_add_to_open_lookup_lists_but_not_to_admin_only_ones():
    assert writable_kind("equipment-types", is_admin=False).name == "equipment-types"
    assert writable_kind("price-levels", is_admin=True).admin_only
    with pytest.raises(Forbidden):
        writable_kind("payment-terms", is_admin=False)
    with pytest.raises(NotFound):
        writable_kind("colours", is_admin=True)


def test_user_emails_are_kept_lower_case_and_a_change_clears_nothing():
    assert prepare_user({"name": "Pat", "email": "Pat@Example.COM"})["email"] == "pat@example.com"
    assert prepare_user({"role": "admin"}, partial=True) == {"role": "admin"}
    with pytest.raises(ValidationFailed) as failed:
        prepare_user({"name": None, "email": None, "role": "staff"}, partial=True)
    assert fields(failed) == {"name", "email"}


def test_settings_read_the_country_by_name_or_code():
    base = {"customer_label": "Client", "date_order": "DMY"}
    assert prepare_settings({**base, "default_country": "new zealand"})["default_country"] == "NZ"
    with pytest.raises(ValidationFailed) as failed:
        prepare_settings({**base, "default_country": "XX"})
    assert fields(failed) == {"default_country"}


def test_a_custom_field_change_keeps_what_it_does_not_name():
    made = merge_definition(None, {"key": "brand", "label": " Brand ", "type": "text"})
    assert made == CustomFieldDefinition("brand", "Brand", "text")
    retired = merge_definition(made, {"active": False})
    assert retired == CustomFieldDefinition("brand", "Brand", "text", active=False)
    with pytest.raises(ValidationFailed) as failed:
        merge_definition(made, {"options": ["A"]})
    assert fields(failed) == {"options"}


def test_archiving_a_customer_that_bills_an_active_site_is_refused():
    agent = {"id": "a", "name": "Agent", "status": "archived"}
    with pytest.raises(Conflict, match="Beach Rd"):
        refuse_archiving(agent, {**agent, "status": "active"}, {"name": "12 Beach Rd"})
    refuse_archiving(agent, {**agent, "status": "active"}, None)
    refuse_archiving(agent, agent, {"name": "12 Beach Rd"})  # already archived: a later edit


def test_customers_and_contacts_read_email_and_phones_alike():
    given = {"email": " Ann@Example.COM ", "phone": "02 9876 5432", "mobile": "+64 21 123 4567"}
    settings = TenantSettings()
    customer = prepare_customer({"name": "Ann", **given}, refs=References(), settings=settings)
    contact = prepare_contact({"first_name": "Ann", **given}, refs=References(), settings=settings)
    keys = ("email", "phone", "phone_e164", "mobile", "mobile_e164")
    assert {k: customer[k] for k in keys} == {k: contact[k] for k in keys}
    assert contact["phone_e164"] == "+61298765432" and contact["mobile_e164"] == "+64211234567"
    bad = {"email": "nope", "phone": "12"}
    named = ((prepare_customer, {"name": "X"}), (prepare_contact, {"last_name": "X"}))
    for prepare, extra in named:
        with pytest.raises(ValidationFailed) as failed:
            prepare({**extra, **bad}, refs=References(), settings=settings)
        assert fields(failed) == {"email", "phone"}
