"""A phone is parsed once per row: validating it, its search terms and duplicate keys share it."""

from __future__ import annotations

import phonenumbers

from chalicelib.domain.duplicates import duplicate_keys
from chalicelib.domain.search import customer_search_terms, phone_terms
from chalicelib.domain.values import parse_phone


def test_a_validated_phone_is_not_parsed_again_for_its_search_terms(monkeypatch):
    phone_terms.cache_clear()
    real, parsed = phonenumbers.parse, []
    monkeypatch.setattr(phonenumbers, "parse", lambda *a, **k: parsed.append(a) or real(*a, **k))

    phone = parse_phone("03 9876 5432", "AU")
    record = {"id": "c1", "name": "Carlton Joinery", "phone_e164": phone.e164}
    terms = customer_search_terms(record)
    keys = duplicate_keys(record)

    assert len(parsed) == 1
    assert "98765432" in terms.indexed and {"398765432", "98765432"} <= terms.match
    assert ("phone", "+61398765432") in keys


def test_a_stored_phone_never_validated_here_is_still_read():
    phone_terms.cache_clear()
    assert phone_terms("+61298765432") == ("98765432", frozenset({"298765432", "98765432"}))
