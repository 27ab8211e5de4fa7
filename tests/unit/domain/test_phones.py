"""Phones are accepted when possible for their country, not only when the metadata knows them."""

from __future__ import annotations

import pytest

from chalicelib.domain.values import InvalidValue, Phone, parse_phone


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("0443 256 796", "+61443256796"),  # a mobile range the metadata calls unallocated
        ("0443256796", "+61443256796"),
        ("+61 443 256 796", "+61443256796"),
        (443256796, "+61443256796"),  # a spreadsheet number lost its trunk 0
    ],
)
def test_a_possible_australian_mobile_in_a_new_range_is_accepted(written, e164):
    assert parse_phone(written, "AU").e164 == e164


def test_a_possible_number_keeps_the_form_it_was_written_in():
    assert parse_phone("0443 256 796", "AU") == Phone("0443 256 796", "+61443256796")


def test_a_possible_number_written_internationally_is_read_in_its_own_country():
    assert parse_phone("+1 212 555 0100", "AU").e164 == "+12125550100"


@pytest.mark.parametrize("written", ["6.14123E+10", "6,14123E+10", "6.14123e10", "4.12E+08"])
def test_scientific_notation_is_refused_and_no_digit_is_invented(written):
    with pytest.raises(InvalidValue, match="scientific notation"):
        parse_phone(written, "AU")


def test_a_local_number_without_its_area_code_is_refused_with_that_reason():
    with pytest.raises(InvalidValue, match="area code"):
        parse_phone("555 0100", "US")


@pytest.mark.parametrize("written", ["0443 256", "0443 256 796 123 45", "04x3 256 796", "000"])
def test_an_impossible_number_is_still_refused(written):
    with pytest.raises(InvalidValue):
        parse_phone(written, "AU")
