"""Behaviour of the shared value rules: what the API and the importer accept and store."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from chalicelib.domain import values
from chalicelib.domain.values import (
    InvalidValue,
    Phone,
    clean_text,
    is_blank,
    name_key,
    normalize_country,
    normalize_email,
    normalize_postcode,
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    parse_phone,
)

# ---------------------------------------------------------------- names and text


def test_names_differing_in_case_and_spacing_share_a_key():
    assert name_key("  John   SMITH ") == name_key("john smith") == "john smith"


def test_name_key_folds_compatibility_characters_and_german_sharp_s():
    assert name_key("Ｊｏｈｎ Straße") == name_key("JOHN STRASSE")


def test_blank_text_is_no_value():
    assert clean_text(None) is None
    assert clean_text("   \t ") is None
    assert is_blank("  ") and is_blank(None) and not is_blank(0)


def test_text_is_trimmed_and_inner_whitespace_collapsed():
    assert clean_text("  Smith \t  Plumbing\n Pty ") == "Smith Plumbing Pty"


def test_multiline_text_keeps_its_line_breaks():
    assert clean_text(" Gate code 1234 \r\n\r\n\r\n  Dog   on site ", multiline=True) == (
        "Gate code 1234\n\nDog on site"
    )


def test_whole_numbers_from_spreadsheets_become_text_without_decimal_point():
    assert clean_text(123.0) == "123"
    assert clean_text(123) == "123"
    assert clean_text(12.5) == "12.5"


def test_text_longer_than_its_limit_is_refused():
    assert clean_text("x" * 10, max_length=10) == "x" * 10
    with pytest.raises(InvalidValue, match="at most 10 characters"):
        clean_text("x" * 11, max_length=10)


# ---------------------------------------------------------------- email


def test_email_domain_is_lower_cased_and_whitespace_trimmed():
    assert normalize_email("  John.Smith@ACME.com.au ") == "John.Smith@acme.com.au"


def test_email_without_domain_is_refused_with_the_reason():
    with pytest.raises(InvalidValue, match="^is not a valid email address: there must be"):
        normalize_email("john@")


@pytest.mark.parametrize("bad", ["john", "john@localhost", "", "john smith@acme.com"])
def test_malformed_emails_are_refused(bad):
    with pytest.raises(InvalidValue):
        normalize_email(bad)


def test_an_address_a_file_repeats_is_validated_once_and_a_refusal_repeats_its_reason(
    monkeypatch,
):
    import email_validator

    values._read_email.cache_clear()
    real, validated = email_validator.validate_email, []
    monkeypatch.setattr(
        email_validator, "validate_email", lambda *a, **k: validated.append(a) or real(*a, **k)
    )
    addresses = [normalize_email(" Accounts@Strata.EXAMPLE.com ") for _ in range(3)]
    reasons = []
    for _ in range(2):
        with pytest.raises(InvalidValue) as refused:
            normalize_email("accounts@")
        reasons.append(str(refused.value))

    assert addresses == ["Accounts@strata.example.com"] * 3
    assert len(validated) == 2  # the address once, the refused value once
    assert reasons[0] == reasons[1] and reasons[0].startswith("is not a valid email address: ")


def test_email_needs_no_dns_to_be_accepted():
    # .invalid-looking but well-formed domains are accepted: no lookup is made.
    assert normalize_email("office@no-such-domain-sitebook-test.com.au")


# ---------------------------------------------------------------- phones


def test_australian_mobile_keeps_display_as_entered_and_gets_e164():
    assert parse_phone(" 0412 345 678 ", "AU") == Phone("0412 345 678", "+61412345678")


def test_mobile_stored_as_a_spreadsheet_number_gets_its_leading_zero_back():
    phone = parse_phone(412345678.0, "AU")
    assert phone == Phone("0412 345 678", "+61412345678")


def test_landline_stored_as_a_number_is_shown_in_national_format():
    assert parse_phone(398765432, "AU") == Phone("(03) 9876 5432", "+61398765432")


def test_international_number_is_read_whatever_the_default_country():
    assert parse_phone("+64 21 123 4567", "AU").e164 == "+64211234567"


def test_number_read_in_the_tenant_country():
    assert parse_phone("(415) 555-2671", "US").e164 == "+14155552671"


@pytest.mark.parametrize("bad", ["123", "0412 345", "call me", "", 12.5])
def test_impossible_phone_numbers_are_refused(bad):
    with pytest.raises(InvalidValue):
        parse_phone(bad, "AU")


# ---------------------------------------------------------------- dates


def test_date_objects_pass_through_and_datetimes_lose_their_time():
    assert parse_date(date(2024, 3, 5)) == date(2024, 3, 5)
    assert parse_date(datetime(2024, 3, 5, 17, 30)) == date(2024, 3, 5)


def test_excel_serial_numbers_are_read_in_the_1900_date_system():
    assert parse_date(45356) == date(2024, 3, 5)
    assert parse_date(45356.75) == date(2024, 3, 5)
    assert parse_date(1) == date(1900, 1, 1)
    assert parse_date(61) == date(1900, 3, 1)


@pytest.mark.parametrize("serial", [0, -5, 2958466, 60])
def test_excel_serials_outside_real_dates_are_refused(serial):
    with pytest.raises(InvalidValue):
        parse_date(serial)


@pytest.mark.parametrize(
    "text", ["2024-03-05", "2024-03-05T10:00:00Z", "2024-03-05 10:30", "2024/3/5"]
)
def test_iso_dates_with_or_without_time(text):
    assert parse_date(text, "MDY") == date(2024, 3, 5)


def test_ambiguous_date_follows_tenant_date_order():
    assert parse_date("05/03/2024", "DMY") == date(2024, 3, 5)
    assert parse_date("05/03/2024", "MDY") == date(2024, 5, 3)


@pytest.mark.parametrize("order", ["DMY", "MDY"])
def test_a_part_above_twelve_settles_the_order(order):
    assert parse_date("13/03/2024", order) == date(2024, 3, 13)
    assert parse_date("03/13/2024", order) == date(2024, 3, 13)


@pytest.mark.parametrize("text", ["5-3-2024", "5.3.2024", "05/03/24", "5/3/2024 12:00:00 AM"])
def test_dashes_dots_two_digit_years_and_trailing_times(text):
    assert parse_date(text) == date(2024, 3, 5)


def test_two_digit_years_follow_the_posix_pivot():
    assert parse_date("01/01/68") == date(2068, 1, 1)
    assert parse_date("01/01/69") == date(1969, 1, 1)


@pytest.mark.parametrize(
    "text", ["5 Mar 2024", "March 5, 2024", "05-Mar-24", "Tue 5th March 2024", "5 SEPT 2024"]
)
def test_dates_with_month_names(text):
    expected_month = 9 if "SEPT" in text else 3
    assert parse_date(text, "MDY") == date(2024, expected_month, 5)


def test_impossible_day_is_refused():
    with pytest.raises(InvalidValue, match="no such day"):
        parse_date("31/02/2024")


def test_unreadable_date_names_the_expected_forms_in_tenant_order():
    with pytest.raises(InvalidValue, match="YYYY-MM-DD, MM/DD/YYYY or 5 Mar 2024"):
        parse_date("next tuesday", "MDY")


@pytest.mark.parametrize("bad", ["", "March 2024", "2024", True, "32/13/2024"])
def test_non_dates_are_refused(bad):
    with pytest.raises(InvalidValue):
        parse_date(bad)


# ---------------------------------------------------------------- booleans and numbers


@pytest.mark.parametrize("word", ["true", "YES", "y", "1", "On", True, 1, 1.0])
def test_true_words(word):
    assert parse_bool(word) is True


@pytest.mark.parametrize("word", ["false", "No", "N", "0", "off", False, 0])
def test_false_words(word):
    assert parse_bool(word) is False


@pytest.mark.parametrize("bad", ["maybe", "", 2, None])
def test_other_values_are_not_booleans(bad):
    with pytest.raises(InvalidValue):
        parse_bool(bad)


@pytest.mark.parametrize(
    ("text", "number"),
    [("1,234.50", 1234.5), ("$12", 12), ("-$1,234.50", -1234.5), (" 42 ", 42), ("12.0", 12)],
)
def test_numbers_with_thousands_separators_and_dollar_signs(text, number):
    assert parse_number(text) == number
    assert type(parse_number(text)) is type(number)


def test_whole_floats_become_ints():
    assert parse_number(3.0) == 3 and isinstance(parse_number(3.0), int)
    assert parse_number(2.5) == 2.5


@pytest.mark.parametrize("bad", ["12%", "1,2", "abc", "1e3", "", True, float("nan"), "1 000"])
def test_ambiguous_or_malformed_numbers_are_refused(bad):
    with pytest.raises(InvalidValue):
        parse_number(bad)


def test_numbers_stored_in_dynamodb_read_back_as_ints_and_floats():
    from decimal import Decimal

    assert parse_number(Decimal("30")) == 30 and isinstance(parse_number(Decimal("30")), int)
    assert parse_number(Decimal("12.5")) == 12.5


def test_integers_refuse_fractions():
    assert parse_int("1,000") == 1000
    assert parse_int(30.0) == 30
    with pytest.raises(InvalidValue, match="whole number"):
        parse_int("2.5")


# ---------------------------------------------------------------- countries and postcodes


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("au", "AU"),
        ("Australia", "AU"),
        ("NZ", "NZ"),
        ("New Zealand", "NZ"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("United States", "US"),
        ("U.S.A.", "US"),
        ("  south   africa ", "ZA"),
        ("Singapore", "SG"),
        ("ie", "IE"),
    ],
)
def test_countries_from_codes_and_common_names(value, code):
    assert normalize_country(value) == code


@pytest.mark.parametrize("bad", ["ZZ", "Narnia", "", "A"])
def test_unknown_countries_are_refused(bad):
    with pytest.raises(InvalidValue):
        normalize_country(bad)


def test_australian_postcode_stored_as_number_gets_its_leading_zero_back():
    assert normalize_postcode(800, "AU") == "0800"
    assert normalize_postcode(800.0, "AU") == "0800"
    assert normalize_postcode("3000", "AU") == "3000"


@pytest.mark.parametrize("bad", ["30000", "3OOO", "12"])
def test_australian_postcodes_are_four_digits(bad):
    with pytest.raises(InvalidValue, match="4 digits"):
        normalize_postcode(bad, "AU")


def test_us_zip_codes_keep_leading_zeros_and_zip_plus_four():
    assert normalize_postcode(501, "US") == "00501"
    assert normalize_postcode("02134-1234", "US") == "02134-1234"
    assert normalize_postcode("021341234", "US") == "02134-1234"
    with pytest.raises(InvalidValue):
        normalize_postcode("2134-12", "US")


def test_other_countries_take_free_text_postcodes():
    assert normalize_postcode(" sw1a   1aa ", "GB") == "SW1A 1AA"
    with pytest.raises(InvalidValue, match="12 characters"):
        normalize_postcode("X" * 13, "GB")


# ---------------------------------------------------------------- layering


def test_domain_modules_import_nothing_of_aws_or_chalice():
    import ast
    from pathlib import Path

    import chalicelib.domain

    forbidden = {"boto3", "botocore", "pynamodb", "chalice"}
    for path in Path(chalicelib.domain.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & forbidden, f"{path.name} imports {roots & forbidden}"
