"""Possible duplicates: the keys customers share and who shares them (pure)."""

from __future__ import annotations

from chalicelib.domain.duplicates import (
    DuplicateIndex,
    PossibleDuplicate,
    address_key,
    duplicate_keys,
    possible_duplicates,
)


def customer(id_: str, **values) -> dict:
    return {"id": id_, **values}


def test_an_address_is_its_line_1_and_postcode_ignoring_case_punctuation_and_street_types():
    assert address_key({"line1": "12 High Street,", "postcode": "3000"}) == address_key(
        {"line1": "12  high ST.", "postcode": " 3000 "}
    )
    assert address_key({"line1": "12 High St", "postcode": "3001"}) != address_key(
        {"line1": "12 High St", "postcode": "3000"}
    )
    assert address_key({"line1": "12 High St"}) is None  # without a postcode it says too little


def test_keys_are_the_email_lower_cased_both_phones_and_the_site_address():
    keys = duplicate_keys(
        customer(
            "a", email="Jo@Acme.example", phone_e164="+61398765432", mobile_e164="+61412345678",
            site_address={"line1": "1 Bay Rd", "postcode": "2000"},
        )
    )  # fmt: skip
    assert keys == {
        ("email", "jo@acme.example"),
        ("phone", "+61398765432"),
        ("phone", "+61412345678"),
        ("site_address", "1 bay rd|2000"),
    }
    assert duplicate_keys(customer("b", name="Nobody")) == frozenset()


def test_a_phone_matches_the_other_customers_mobile_and_reasons_come_in_a_fixed_order():
    record = customer(
        "a", email="jo@acme.example", phone_e164="+61398765432",
        site_address={"line1": "1 Bay Rd", "postcode": "2000"},
    )  # fmt: skip
    others = [
        customer("b", mobile_e164="+61398765432"),
        customer(
            "c", site_address={"line1": "1 bay road", "postcode": "2000"}, email="JO@acme.example"
        ),
        customer("d", email="someone@else.example"),
        record,  # itself is never its own duplicate
    ]
    assert possible_duplicates(record, others) == [
        PossibleDuplicate("b", ("phone",)),
        PossibleDuplicate("c", ("email", "site_address")),
    ]


def test_the_message_names_the_customer_and_what_is_the_same():
    assert PossibleDuplicate("x", ("phone",)).describe("C000123") == (
        "possibly the same as C000123 (same phone)"
    )
    assert PossibleDuplicate("x", ("email", "phone", "site_address")).describe("row 4") == (
        "possibly the same as row 4 (same email, phone and site address)"
    )


def test_the_index_finds_holders_in_the_order_they_were_added():
    index = DuplicateIndex()
    index.add("second-added-first", customer("z", email="a@x.example"))
    index.add("first", customer("y", phone_e164="+61398765432", email="a@x.example"))
    found = index.find(customer("new", email="A@x.example", phone_e164="+61398765432"))
    assert found == [
        PossibleDuplicate("second-added-first", ("email",)),
        PossibleDuplicate("first", ("email", "phone")),
    ]
    assert index.find(customer("y", email="a@x.example"), exclude="first") == [
        PossibleDuplicate("second-added-first", ("email",))
    ]


def test_a_site_is_not_a_duplicate_of_its_own_billing_customer():
    manager = customer("pm", email="accounts@pm.example")
    site = customer("s1", email="accounts@pm.example", billing={"billing_customer_id": "pm"})
    other = customer("s2", email="ACCOUNTS@pm.example")
    assert possible_duplicates(site, [manager, other]) == [PossibleDuplicate("s2", ("email",))]
    assert possible_duplicates(manager, [site]) == []
    index = DuplicateIndex()
    index.add("s1", site)
    assert index.find(manager) == []
    index.add("pm", manager)
    assert index.find(customer("s3", email="accounts@pm.example",
                               billing={"billing_customer_id": "pm"})) == [
        PossibleDuplicate("s1", ("email",))
    ]  # fmt: skip
