"""Names that look the same to a person are the same name: invisible characters go."""

from __future__ import annotations

import unicodedata

import pytest

from chalicelib.domain.names import (
    DEFAULT_IGNORABLE_RANGES,
    derive_customer_name,
    drop_default_ignorables,
)
from chalicelib.domain.search import customer_search_terms, parse_query
from chalicelib.domain.values import clean_text, name_key, normalize_email

INVISIBLE = [
    "\u200b",  # zero width space
    "\u200c",  # zero width non-joiner
    "\u200d",  # zero width joiner
    "\u2060",  # word joiner
    "\ufeff",  # zero width no-break space
    "\u00ad",  # soft hyphen
    "\u200f",  # right-to-left mark
    "\u034f",  # combining grapheme joiner
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ufe0f",  # variation selector-16
    "\U000e0041",  # tag latin capital letter a
    "\U000e0100",  # variation selector-17
]


@pytest.mark.parametrize("mark", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_an_invisible_character_does_not_make_a_second_name(mark):
    assert name_key(f"Z{mark}ed Pty") == name_key("Zed Pty") == "zed pty"
    assert clean_text(f"Z{mark}ed Pty{mark}") == "Zed Pty"
    assert derive_customer_name(None, f"{mark}Zed{mark} Pty") == "Zed Pty"
    assert parse_query(f"z{mark}ed") == parse_query("zed")


def test_a_name_of_invisible_characters_only_is_blank():
    assert clean_text("\u200b\u200d\u00ad") is None
    assert derive_customer_name("\u200b", None, "\ufeff", None) is None


def test_visible_characters_stay():
    text = "Ángel Ávila · O'Brien & Sons (NSW) – 東京 😀"
    assert drop_default_ignorables(text) == text


def test_notes_keep_the_joiners_emoji_need():
    family = "Tenant: \U0001f468\u200d\U0001f527 on site"
    assert clean_text(family, multiline=True) == family


def test_every_default_ignorable_is_format_unassigned_filler_or_selector():
    # Default_Ignorable_Code_Point is mostly general category Cf (format), Cn (reserved),
    # Mn (variation selectors, CGJ, Khmer vowels) and the Hangul fillers (Lo).
    allowed = {"Cf", "Cn", "Mn", "Lo"}
    for low, high in DEFAULT_IGNORABLE_RANGES:
        for code in range(low, high + 1):
            assert unicodedata.category(chr(code)) in allowed, hex(code)


def test_search_terms_of_a_name_with_an_invisible_joiner_match_the_plain_query():
    terms = customer_search_terms({"name": "Z\u200bed Plumbing"})
    assert "zed" in terms.match


def test_emails_lose_invisible_characters():
    assert normalize_email("of\u200bfice@Acme\u00ad.com.au") == "office@acme.com.au"
