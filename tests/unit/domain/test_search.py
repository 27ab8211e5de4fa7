"""Behaviour of search terms and queries: what a customer is found by and how a query is read."""

from __future__ import annotations

from chalicelib.domain.search import (
    contact_search_terms,
    customer_match_words,
    customer_search_terms,
    duplicate_word,
    matches,
    parse_query,
    sort_key,
)


def terms(**fields):
    return customer_search_terms({"name": "John Smith"} | fields)


def finds(query, found_terms, country="AU"):
    """Whether some reading of ``query`` has a lead the terms can be found under and all its
    words match: a lead is found when an entry, or the name's sort key, starts with it."""
    for option in parse_query(query, country):
        reachable = any(
            any(entry.startswith(lead) for entry in found_terms.indexed) for lead in option.leads
        )
        if (reachable or option.number) and matches(found_terms.match, option.words):
            return True
    return False


def finds_by_name_or_entry(query, record):
    found = customer_search_terms(record)
    name = sort_key(record["name"])
    return finds(query, found) or any(
        any(name.startswith(lead) for lead in option.leads) and matches(found.match, option.words)
        for option in parse_query(query)
    )


def test_name_words_are_folded_match_words():
    assert {"john", "smith"} <= terms().match


def test_the_leading_name_word_needs_no_entry_the_name_index_finds_it():
    found = terms()
    assert "john" not in found.indexed and "smith" in found.indexed
    assert finds_by_name_or_entry("joh", {"name": "John Smith"})


def test_a_word_another_entry_starts_with_needs_no_entry_of_its_own():
    found = terms(email="smith@acme.com")
    assert found.indexed == {"smith@acme.com"}
    assert finds("smi", found)


def test_every_query_word_must_match():
    found = terms(company_name="Acme Plumbing")
    assert finds("smith acme", found)
    assert not finds("smith jones", found)


def test_accents_and_case_are_ignored_both_ways():
    record = {"name": "Ángel Ávila"}
    assert {"angel", "avila"} <= customer_search_terms(record).match
    assert finds_by_name_or_entry("angel", record)
    assert finds_by_name_or_entry("ÁVIL", record)
    assert sort_key("Ángel Ávila") == "angel avila"


def test_punctuated_names_are_found_with_or_without_their_punctuation():
    found = terms(name="Mary O'Brien")
    assert {"o", "brien", "obrien"} <= found.match
    assert finds("obri", found) and finds("o'brien", found)


def test_company_suffixes_are_matched_but_never_an_entry():
    found = terms(company_name="Acme Pty Ltd")
    assert {"pty", "ltd"} <= found.match
    assert not {"pty", "ltd"} & found.indexed
    assert parse_query("acme pty ltd")[0].leads == ("acme",)


def test_email_is_found_whole_and_by_its_local_part():
    found = terms(email="John.Smith@Acme.com.au")
    assert finds("john.smith@acme", found) and finds("john.smith", found)
    assert not finds("jane@acme", found)


def test_a_mobile_is_one_entry_found_by_national_and_international_forms():
    found = terms(mobile_e164="+61412345678")
    assert "412345678" in found.indexed
    for query in ("0412 345 678", "0412 345", "+61 412 345 678", "61412345678", "412345678"):
        assert finds(query, found), query
    assert not finds("0413", found)


def test_a_landline_is_one_entry_found_with_or_without_its_area_code():
    found = terms(phone_e164="+61291234567")
    assert "91234567" in found.indexed and "291234567" not in found.indexed
    for query in ("02 9123 4567", "9123 4567", "+61 2 9123 4567", "0291"):
        assert finds(query, found), query


def test_digits_starting_00_are_an_international_number_only_with_digits_after_its_code():
    assert [o.leads for o in parse_query("0011")] == [("0011",)]  # not +1, national "1"
    assert [o.leads for o in parse_query("0044 20 7946")] == [("0044207946",), ("207946", "7946")]
    assert finds("0061 412 345", terms(mobile_e164="+61412345678"))


def test_a_landline_in_another_area_is_not_found_by_the_wrong_area_code():
    assert not finds("03 9123 4567", terms(phone_e164="+61291234567"))


def test_customer_number_reads_as_c000002_c2_or_000002_but_not_a_bare_2():
    found = terms(customer_number="C000002")
    assert "c000002" in found.match and not any("c000002" in e for e in found.indexed)
    for query in ("C000002", "c2", "000002"):
        assert [o.number for o in parse_query(query) if o.number] == ["C000002"], query
        assert finds(query, found), query
    assert not finds("2", found)
    assert all(o.number is None for o in parse_query("2"))


def test_a_customer_number_with_another_word_is_matched_on_the_entries_of_that_word():
    option = parse_query("c2 smith")[0]
    assert option.leads == ("smith",) and "c000002" in option.words
    assert finds("c2 smith", terms(customer_number="C000002"))


def test_site_address_street_suburb_and_postcode_are_found():
    found = terms(
        site_address={"line1": "12 Harbour St", "suburb": "Surry Hills", "postcode": "2010"}
    )
    # The postcode's entry is the address' duplicate key word, which starts with it.
    assert found.indexed == {"smith", "harbour", "surry", "hills", "2010 12 harbour st"}
    assert finds("harbour", found) and finds("12 harbour st", found)
    assert finds("surry hills", found) and finds("2010", found)


def test_billing_account_number_is_found_with_or_without_punctuation():
    found = terms(billing={"account_number": "AC-7781"})
    assert finds("ac-7781", found) and finds("ac7781", found)


def test_contacts_are_found_by_first_and_last_name():
    found = contact_search_terms({"first_name": "Pat", "last_name": "Núñez"})
    assert found.indexed == {"pat", "nunez"}
    assert finds("nunez", found)


def test_terms_are_at_most_forty_characters():
    found = terms(email=("a" * 50) + "@example.com")
    assert max(map(len, found.match)) == 40
    assert finds(("a" * 45) + "@example.com", found)


def test_the_longest_word_leads_a_query_without_repeats():
    option = parse_query("  Jo  SMITHFIELD jo plumbing ")[0]
    assert option.leads == ("smithfield", "plumbing")
    assert option.words == ("jo", "smithfield", "plumbing")


def test_empty_query_has_no_readings():
    assert parse_query("   ") == []


def test_duplicate_key_words_are_indexed_even_when_another_entry_covers_them():
    found = customer_search_terms(
        {
            "name": "jo@acme.example",  # the sort key starts with the e-mail
            "email": "Jo@Acme.example",
            "phone_e164": "+61398765432",
            "billing": {"account_number": "987654321"},  # starts with the phone's entry
        }
    )
    assert {"jo@acme.example", "98765432", "987654321"} <= found.indexed
    assert duplicate_word(("email", "jo@acme.example")) == "jo@acme.example"
    assert duplicate_word(("phone", "+61398765432")) == "98765432"
    assert duplicate_word(("site_address", "12 high st|3053")) == "3053 12 high st"


def test_a_stored_customer_is_checked_against_the_same_match_words_its_entries_carry():
    record = {
        "name": "O'Brien Plumbing Pty Ltd",
        "first_name": "Seán",
        "email": "sean.obrien@plumbing.example",
        "phone_e164": "+61391234567",
        "mobile_e164": "+61412345678",
        "customer_number": "C000042",
        "site_address": {"line1": "12 Harbour St", "suburb": "Richmond", "postcode": "3121"},
        "billing": {"account_number": "AC-9/12"},
        "company_name": "Obrien " + "z" * 45,  # a word cut at forty characters
    }
    assert customer_match_words(record) == customer_search_terms(record).match
    assert {"obrien", "391234567", "91234567", "412345678", "c000042", "12"} <= set(
        customer_match_words(record)
    )


RECORDS_OF_EVERY_KIND = [
    {
        "name": "O'Brien Plumbing Pty Ltd",
        "first_name": "Seán",
        "last_name": "Núñez-Ávila",
        "email": "Sean.OBrien_2@Plumbing-Co.example",
        "phone_e164": "+61391234567",
        "mobile_e164": "+61412345678",
        "customer_number": "C000042",
        "site_address": {
            "line1": "12a/4 Harbour St",
            "suburb": "Port Melbourne",
            "postcode": "3207",
        },
        "billing": {"account_number": "AC-9/12"},
        "company_name": "Obrien " + "z" * 45,
    },
    {"name": "jo@acme.example", "email": "Jo@Acme.example", "phone_e164": "+442079460000"},
    {"name": "Ｆｕｌｌ Ｗｉｄｔｈ 株式会社", "email": ("a" * 50) + "@example.com"},
    {"name": "X", "billing": {"account_number": "987654321"}, "phone_e164": "+61298765432"},
]


def test_a_query_word_an_indexed_word_starts_with_is_matched_by_the_record():
    # customer_search reads a one-word query's entries without their match words, since
    # the entry's key (an indexed word starting with the word) already proves the match.
    # Every query word (letters and digits, folded, cut at 40) that starts an indexed word
    # must then start one of the record's match words, for customers and contacts alike.
    contacts = [
        {"id": "k1", "customer_id": "c1", "first_name": "Mary-Jane", "last_name": "D'Arcy",
         "email": "mj@darcy.example", "mobile_e164": "+61412000111"},
    ]  # fmt: skip
    found_terms = [customer_search_terms(r) for r in RECORDS_OF_EVERY_KIND]
    found_terms += [contact_search_terms(c) for c in contacts]
    checked = 0
    for found in found_terms:
        for word in found.indexed:
            for end in range(1, len(word) + 1):
                for option in parse_query(word[:end]):
                    for lead in option.leads:  # as customer_search._candidates reads them
                        if option.words == (lead,) and word.startswith(lead):
                            checked += 1
                            assert matches(found.match, option.words), (word, lead)
    assert checked > 200
