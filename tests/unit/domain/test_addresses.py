"""Behaviour of address normalisation and of customer name derivation."""

from __future__ import annotations

import pytest

from chalicelib.domain.addresses import normalize_address
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.names import derive_customer_name


def address(**fields):
    return {"line1": "1 Smith St", "suburb": "Fitzroy", "state": "VIC", "postcode": "3065"} | fields


def errors_of(data, **kwargs):
    with pytest.raises(ValidationFailed) as caught:
        normalize_address(data, default_country="AU", **kwargs)
    return {error.field: error.message for error in caught.value.errors}


def test_country_defaults_to_the_tenant_country_and_every_field_is_present():
    assert normalize_address(address(), default_country="AU") == {
        "line1": "1 Smith St",
        "line2": None,
        "suburb": "Fitzroy",
        "state": "VIC",
        "postcode": "3065",
        "country": "AU",
        "latitude": None,
        "longitude": None,
    }


@pytest.mark.parametrize("data", [None, {}, {"line1": "  ", "postcode": None}, {"country": "AU"}])
def test_an_empty_address_is_no_address(data):
    assert normalize_address(data, default_country="AU") is None


@pytest.mark.parametrize(
    ("given", "code"),
    [("Victoria", "VIC"), ("new south wales", "NSW"), ("qld", "QLD"), ("A.C.T.", "ACT")],
)
def test_australian_state_names_become_their_codes(given, code):
    assert normalize_address(address(state=given), default_country="AU")["state"] == code


def test_us_states_become_codes_and_zip_codes_keep_leading_zeros():
    result = normalize_address(
        {"line1": "1 Main St", "state": "massachusetts", "postcode": 2134, "country": "USA"},
        default_country="AU",
    )
    assert (result["state"], result["postcode"], result["country"]) == ("MA", "02134", "US")


def test_other_countries_keep_free_text_states():
    result = normalize_address(
        {"line1": "1 High St", "state": "Greater London", "postcode": "sw1a 1aa", "country": "UK"},
        default_country="AU",
    )
    assert (result["state"], result["postcode"]) == ("Greater London", "SW1A 1AA")


def test_postcode_stored_as_a_spreadsheet_number_is_restored():
    data = address(suburb="Darwin", state="NT", postcode=800.0)
    assert normalize_address(data, default_country="AU")["postcode"] == "0800"


def test_coordinates_are_floats_within_range():
    result = normalize_address(address(latitude="-37.8", longitude=144), default_country="AU")
    assert (result["latitude"], result["longitude"]) == (-37.8, 144.0)
    assert isinstance(result["longitude"], float)


def test_every_bad_field_is_reported_under_the_callers_prefix():
    data = address(state="Gondwana", postcode="30650", latitude=91, longitude="east", shoe=1)
    assert errors_of(data, prefix="site_address") == {
        "site_address.state": (
            "is not an Australian state or territory: use NSW, VIC, QLD, SA, WA, TAS, NT, ACT"
        ),
        "site_address.postcode": "is not a postcode: AU postcodes are 4 digits",
        "site_address.latitude": "must be between -90 and 90",
        "site_address.longitude": "is not a number",
        "site_address.shoe": "is not an address field",
    }


def test_fields_are_named_plainly_without_a_prefix():
    assert set(errors_of(address(country="Narnia", line1="x" * 201))) == {"country", "line1"}


def test_an_address_that_is_not_an_object_is_refused():
    assert errors_of("1 Smith St", prefix="billing_address") == {
        "billing_address": "must be an object"
    }


def test_customer_name_is_the_given_name_first():
    assert derive_customer_name("  Smith   Plumbing ", "Acme", "John", "Smith") == "Smith Plumbing"


def test_customer_name_falls_back_to_company_then_person():
    assert derive_customer_name(None, " Acme  Pty Ltd ", "John", "Smith") == "Acme Pty Ltd"
    assert derive_customer_name("", None, " John ", " Smith ") == "John Smith"
    assert derive_customer_name(None, None, None, "Smith") == "Smith"
    assert derive_customer_name(" ", "", None, None) is None
