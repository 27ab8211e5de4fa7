"""A phone is parsed once per row: validating it, its search terms and duplicate keys share it."""

from __future__ import annotations

import phonenumbers

from chalicelib.domain.duplicates import duplicate_keys
from chalicelib.domain.search import customer_search_terms, phone_terms
from chalicelib.domain.values import InvalidValue, _read_phone, area_code_length, parse_phone


def test_a_validated_phone_is_not_parsed_again_for_its_search_terms(monkeypatch):
    phone_terms.cache_clear()
    _read_phone.cache_clear()
    real, parsed = phonenumbers.parse, []
    monkeypatch.setattr(phonenumbers, "parse", lambda *a, **k: parsed.append(a) or real(*a, **k))

    phone = parse_phone("03 9876 5432", "AU")
    record = {"id": "c1", "name": "Carlton Joinery", "phone_e164": phone.e164}
    terms = customer_search_terms(record)
    keys = duplicate_keys(record)

    assert len(parsed) == 1
    assert "98765432" in terms.indexed and {"398765432", "98765432"} <= terms.match
    assert ("phone", "+61398765432") in keys


def test_a_value_a_file_repeats_is_read_once_and_a_refusal_repeats_its_reason(monkeypatch):
    _read_phone.cache_clear()
    real, parsed = phonenumbers.parse, []
    monkeypatch.setattr(phonenumbers, "parse", lambda *a, **k: parsed.append(a) or real(*a, **k))

    first, again = parse_phone("(03) 9555 0101", "AU"), parse_phone("(03) 9555 0101", "AU")
    as_number = parse_phone(395550101, "AU")  # the same digits stored as a number: read apart
    reasons = []
    for _ in range(2):
        try:
            parse_phone("0443 256", "AU")
        except InvalidValue as error:
            reasons.append(str(error))

    assert first == again and first.e164 == as_number.e164 == "+61395550101"
    assert as_number.display == "(03) 9555 0101"  # a number's display is the national format
    assert len(parsed) == 3  # the text, the number, the refused text: once each
    assert reasons == ["is not a phone number: it has the wrong number of digits"] * 2


def test_a_stored_phone_never_validated_here_is_still_read():
    phone_terms.cache_clear()
    assert phone_terms("+61298765432") == ("98765432", frozenset({"298765432", "98765432"}))


def _example_numbers():
    """libphonenumber's own example number of every region and type (with an extension too)."""
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(phonenumbers.PhoneNumberType.UNKNOWN):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                yield region, example


def test_the_area_code_is_libphonenumbers_for_every_regions_example_numbers():
    checked = 0
    for region, example in _example_numbers():
        e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        expected = phonenumbers.length_of_geographical_area_code(phonenumbers.parse(e164, None))
        assert area_code_length(e164) == expected, (region, e164)
        national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
        try:
            accepted = parse_phone(national, region)  # remembered with its type
        except InvalidValue:
            continue
        assert area_code_length(accepted.e164) == phonenumbers.length_of_geographical_area_code(
            phonenumbers.parse(accepted.e164, None)
        ), (region, national)
        checked += 1
    assert checked > 1000


def test_an_extension_does_not_change_the_area_code():
    phone = parse_phone("+44 20 7946 0958 ext. 12", "GB")
    assert area_code_length(phone.e164) == 2
    terms = phone_terms.__wrapped__(phone.e164)
    assert terms == ("79460958", frozenset({"2079460958", "79460958"}))
