"""File names from users: cleaned for storage, and made safe in a download's header."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.file_names import clean_file_name, content_disposition


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("customers.csv", "customers.csv"),
        ('my "best" list.xlsx', "my best list.xlsx"),
        ("invoice\u202egpj.csv", "invoicegpj.csv"),  # RIGHT-TO-LEFT OVERRIDE
        ("a\x07b\r\nc.csv", "abc.csv"),
        ("zero\u200bwidth\u2066.xlsx", "zerowidth.xlsx"),
        ("  spaced   out .csv ", "spaced out .csv"),
        ("Ángel's clients.xlsx", "Ángel's clients.xlsx"),
    ],
)
def test_a_file_name_loses_what_could_mislead_or_break_a_header(given, stored):
    assert clean_file_name(given) == stored


@pytest.mark.parametrize("given", ['""', "\u202e\u202c", "..", "\x00"])
def test_a_name_with_nothing_left_is_refused(given):
    with pytest.raises(ValidationFailed) as error:
        clean_file_name(given)
    assert error.value.errors[0].field == "file_name"


def test_the_disposition_has_an_ascii_fallback_and_the_exact_name_in_utf8():
    header = content_disposition("Ángel's 50% list ✓.xlsx")
    fallback, extended = header.removeprefix("attachment; ").split("; ")
    assert fallback == 'filename="Angel\'s 50_ list _.xlsx"'
    assert extended.startswith("filename*=UTF-8''")
    assert unquote(extended.removeprefix("filename*=UTF-8''")) == "Ángel's 50% list ✓.xlsx"
    assert header.isascii()


def test_a_hostile_stored_name_cannot_escape_the_quoted_filename():
    header = content_disposition('x"; filename="evil.exe\r\nSet-Cookie: a=b\u202e.csv')
    assert header.isascii() and "\r" not in header and "\n" not in header
    quoted = header.split('filename="', 1)[1].split('"', 1)[0]
    assert quoted == "x; filename=evil.exeSet-Cookie: a=b.csv"
    assert header.count('"') == 2
