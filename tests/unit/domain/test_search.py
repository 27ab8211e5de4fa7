"""Behaviour of search tokens: what a customer is found by and how a query is read."""

from __future__ import annotations

from chalicelib.domain.search import matches_query, query_tokens, search_tokens


def customer_tokens(**fields):
    return search_tokens(**({"name": "John Smith"} | fields))


def finds(query, tokens):
    return matches_query(tokens, query_tokens(query))


def test_name_words_are_lower_cased_tokens():
    assert {"john", "smith"} <= customer_tokens()


def test_a_prefix_finds_both_a_person_and_a_company():
    john = customer_tokens()
    plumbing = search_tokens(name="Smithfield Plumbing")
    assert finds("smi", john) and finds("smi", plumbing)
    assert not finds("smo", john)


def test_every_query_word_must_match():
    tokens = customer_tokens(company_name="Acme Plumbing")
    assert finds("john acme", tokens)
    assert not finds("john jones", tokens)


def test_accents_and_case_are_ignored_both_ways():
    tokens = search_tokens(name="José Müller")
    assert {"jose", "muller"} <= tokens
    assert finds("MÜLL", tokens) and finds("jos", tokens)


def test_punctuated_names_are_found_with_or_without_their_punctuation():
    tokens = search_tokens(name="Mary O'Brien")
    assert {"o", "brien", "obrien"} <= tokens
    assert finds("obri", tokens) and finds("o'brien", tokens)


def test_company_and_person_names_are_indexed_too():
    tokens = search_tokens(
        name="Harbour View Strata", company_name="HVS Pty Ltd", first_name="Ann", last_name="Lee"
    )
    assert {"harbour", "hvs", "ann", "lee"} <= tokens


def test_email_is_found_whole_and_by_its_local_part():
    tokens = customer_tokens(email="John.Smith@Acme.com.au")
    assert {"john.smith@acme.com.au", "john.smith"} <= tokens
    assert finds("john.smith@acme", tokens)
    assert not finds("jane@acme", tokens)


def test_phone_is_found_by_international_and_national_digits():
    tokens = customer_tokens(phones=["+61412345678"])
    assert {"61412345678", "0412345678"} <= tokens
    assert finds("0412 345", tokens)
    assert finds("+61 412 345 678", tokens)


def test_customer_number_is_found_with_or_without_prefix_and_zeros():
    tokens = customer_tokens(customer_number="C000123")
    assert {"c000123", "000123", "123"} <= tokens
    assert finds("C000123", tokens) and finds("123", tokens)


def test_tokens_are_at_most_forty_characters():
    tokens = customer_tokens(email=("a" * 50) + "@example.com")
    assert max(map(len, tokens)) == 40
    assert finds(("a" * 45) + "@example.com", tokens)


def test_query_tokens_come_longest_first_without_repeats():
    assert query_tokens("  Jo  SMITHFIELD jo plumbing ") == ["smithfield", "plumbing", "jo"]


def test_empty_query_has_no_tokens():
    assert query_tokens("   ") == []


def test_a_landline_is_found_by_its_local_number_without_area_code():
    tokens = search_tokens(name="Harbourside", phones=["+61291234567"])
    assert {"61291234567", "0291234567", "291234567", "91234567"} <= tokens
