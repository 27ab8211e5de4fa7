"""Confirmed mappings: validation, applying them to rows, transforms and saved-mapping reuse."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.imports.mapping.columns import (
    headers_signature,
    mapping_from_suggestion,
    parse_mapping,
)
from chalicelib.imports.mapping.suggest import suggest_mapping
from chalicelib.imports.mapping.transforms import split_address, split_name

HEADERS = ["Co./Last Name", "Street 1", "Street 2", "Full Name", "Address", "Email"]


def mapping(*columns, headers=HEADERS, target="customers", has_headers=True):
    data = {"target": target, "has_headers": has_headers, "columns": list(columns)}
    return parse_mapping(data, headers, target)


def test_a_row_becomes_field_values_through_every_transform():
    confirmed = mapping(
        {"source": "Co./Last Name", "field": "company_name"},
        {
            "sources": ["Street 1", "Street 2"],
            "transform": "combine",
            "field": "site_address.line1",
            "separator": ", ",
        },
        {"source": "Full Name", "transform": "split_name", "fields": ["first_name", "last_name"]},
        {"source": "Address", "transform": "split_address", "prefix": "billing_address"},
    )

    row = confirmed.apply(
        [
            "Acme Pty Ltd",
            "Unit 3",
            "12 Smith St",
            "Dr John van der Berg",
            "PO Box 5, Richmond VIC 3121",
            "a@example.com",
        ]
    )

    assert row == {
        "company_name": "Acme Pty Ltd",
        "site_address.line1": "Unit 3, 12 Smith St",
        "first_name": "John",
        "last_name": "van der Berg",
        "billing_address.line1": "PO Box 5",
        "billing_address.suburb": "Richmond",
        "billing_address.state": "VIC",
        "billing_address.postcode": "3121",
    }


def test_combine_lines_fills_line1_then_line2():
    headers = ["Addr 1", "Addr 2", "Addr 3"]
    confirmed = mapping(
        {
            "sources": headers,
            "transform": "combine_lines",
            "fields": ["site_address.line1", "site_address.line2"],
        },
        headers=headers,
    )

    assert confirmed.apply(["Level 2", "100 Collins St", "Rear"]) == {
        "site_address.line1": "Level 2",
        "site_address.line2": "100 Collins St, Rear",
    }
    assert confirmed.apply(["", "100 Collins St", None]) == {"site_address.line1": "100 Collins St"}


def test_blank_cells_are_left_out_of_the_row():
    confirmed = mapping({"source": "Email", "field": "email"}, {"source": "Address", "field": None})

    assert confirmed.apply(["", "", "", "", "", "  "]) == {}


def test_sources_match_headers_ignoring_case_and_spacing():
    confirmed = mapping({"source": "  co./last   NAME ", "field": "company_name"})

    assert confirmed.apply(["Acme"]) == {"company_name": "Acme"}


def test_without_headers_sources_are_column_letters():
    headers = ["Column A", "Column C"]
    confirmed = mapping(
        {"source": "C", "field": "email"},
        {"source": "Column A", "field": "name"},
        headers=headers,
        has_headers=False,
    )

    assert confirmed.apply(["Acme", "a@example.com"]) == {"name": "Acme", "email": "a@example.com"}


def test_every_bad_entry_is_named():
    with pytest.raises(ValidationFailed) as failure:
        mapping(
            {"source": "Email", "field": "emial"},
            {"source": "Nope", "field": "phone"},
            {"source": "Co./Last Name", "field": "company_name"},
            {"source": "Full Name", "field": "company_name"},
            {"source": "Address", "transform": "explode", "field": "notes"},
        )

    messages = {(e.field, e.message) for e in failure.value.errors}
    assert ("columns[0].field", "unknown field 'emial'") in messages
    assert ("columns[1].source", "unknown column 'Nope'") in messages
    assert any(f == "columns[3]" and "already filled by columns[2]" in m for f, m in messages)
    assert ("columns[4].transform", "unknown transform 'explode'") in messages
    assert failure.value.status == 422


def test_split_address_clashes_with_a_column_mapped_to_one_of_its_parts():
    with pytest.raises(ValidationFailed, match="site_address.suburb"):
        mapping(
            {"source": "Street 1", "field": "site_address.suburb"},
            {"source": "Address", "transform": "split_address", "prefix": "site_address"},
        )


def test_a_country_column_fills_in_only_when_the_split_address_names_no_country():
    # A full-address column beside a Country column: the country written in the address is the
    # more specific of the two, so it wins; the Country column fills addresses that name none.
    confirmed = mapping(
        {"source": "Address", "transform": "split_address", "prefix": "site_address"},
        {"source": "Country", "field": "site_address.country"},
        headers=["Address", "Country"],
    )

    in_nz = confirmed.apply(["12 Queen St, Auckland 1010, New Zealand", "AU"])
    no_country = confirmed.apply(["5 Bay St, Richmond VIC 3121", "NZ"])

    assert in_nz["site_address.country"] == "NZ"
    assert in_nz["site_address.postcode"] == "1010"
    assert no_country["site_address.country"] == "NZ"
    assert no_country["site_address.state"] == "VIC"


def test_split_address_clashes_with_a_second_line_column_too():
    with pytest.raises(ValidationFailed, match="site_address.line2"):
        mapping(
            {"source": "Street 2", "field": "site_address.line2"},
            {"source": "Address", "transform": "split_address", "prefix": "site_address"},
        )


def test_completeness_follows_the_required_rules():
    assert not mapping({"source": "Email", "field": "email"}).is_complete()
    assert mapping({"source": "Co./Last Name", "field": "company_name"}).is_complete()
    assert mapping(
        {"source": "Full Name", "transform": "split_name", "fields": ["first_name", "last_name"]}
    ).is_complete()
    sites = mapping({"source": "Co./Last Name", "field": "name"}, target="sites")
    assert sites.missing_required() == ["Billing Customer is required"]


def test_mapping_round_trips_through_json():
    confirmed = mapping(
        {
            "sources": ["Street 1", "Street 2"],
            "transform": "combine",
            "field": "site_address.line1",
            "separator": ", ",
        },
        {"source": "Address", "transform": "split_address", "prefix": "billing_address"},
        {"source": "Full Name", "transform": "split_name", "fields": ["first_name", "last_name"]},
    )

    again = parse_mapping(json.loads(json.dumps(confirmed.to_dict())), HEADERS, "customers")

    assert again == confirmed


def test_mapping_from_suggestion_keeps_the_suggested_fields():
    headers = ["Customer Name", "Email", "Fax"]
    confirmed = mapping_from_suggestion(suggest_mapping(headers, []))

    assert confirmed.apply(["Acme", "a@example.com", "123"]) == {
        "name": "Acme",
        "email": "a@example.com",
    }
    assert confirmed.is_complete()


def test_headers_signature_ignores_order_case_and_punctuation_but_not_columns():
    first = headers_signature(["Name", "E-mail", "Phone No."])

    assert first == headers_signature(["phone number", "NAME", "email"])
    assert first != headers_signature(["Name", "Email"])


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Dr John van der Berg", ("John", "van der Berg")),
        ("Smith, John", ("John", "Smith")),
        ("Mrs Jane Mary Doe", ("Jane Mary", "Doe")),
        ("John Smith Jr.", ("John", "Smith")),
        ("Cher", ("Cher", "")),
        ("  ", ("", "")),
    ],
)
def test_split_name(full, expected):
    assert split_name(full) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "12 Smith St, Richmond VIC 3121",
            {"line1": "12 Smith St", "suburb": "Richmond", "state": "VIC", "postcode": "3121"},
        ),
        (
            "12 Smith Street Richmond Victoria 3121 Australia",
            {
                "line1": "12 Smith Street",
                "suburb": "Richmond",
                "state": "VIC",
                "postcode": "3121",
                "country": "AU",
            },
        ),
        (
            "Level 2, 100 Collins St\nMelbourne VIC 3000",
            {
                "line1": "Level 2",
                "line2": "100 Collins St",
                "suburb": "Melbourne",
                "state": "VIC",
                "postcode": "3000",
            },
        ),
        (
            "1 Queen Street, Auckland 1010, New Zealand",
            {"line1": "1 Queen Street", "suburb": "Auckland", "postcode": "1010", "country": "NZ"},
        ),
        (
            "1600 Amphitheatre Pkwy, Mountain View, CA 94043",
            {
                "line1": "1600 Amphitheatre Pkwy",
                "suburb": "Mountain View",
                "state": "CA",
                "postcode": "94043",
            },
        ),
        ("Lot 7 Back Paddock", {"line1": "Lot 7 Back Paddock"}),
    ],
)
def test_split_address(text, expected):
    assert split_address(text) == expected


def test_a_mapping_saved_for_another_target_is_refused():
    data = {"target": "contacts", "columns": [{"source": "Email", "field": "email"}]}

    with pytest.raises(ValidationFailed, match="for contacts, not customers"):
        parse_mapping(data, HEADERS, "customers")


def test_a_myob_card_export_is_read_suggested_and_applied(tmp_path):
    from chalicelib.imports.read.tables import read_table

    lines = [
        [
            "Co./Last Name",
            "First Name",
            "Card ID",
            "Addr 1 - Line 1",
            "           - City",
            "           - State",
            "           - Postcode",
            "           - Phone No. 1",
            "Addr 2 - Line 1",
            "           - City",
            "           - Postcode",
            "           - Fax No.",
        ],
        [
            "O’Brien Plumbing",
            "",
            "CUS001",
            "12 Smith St",
            "Darwin",
            "NT",
            "0800",
            "08 8999 1111",
            "PO Box 7",
            "Darwin",
            "0801",
            "08 8999 2222",
        ],
    ]
    path = tmp_path / "CUSTOMER.TXT"
    path.write_bytes("\r\n".join("\t".join(line) for line in lines).encode("cp1252"))

    table = read_table(str(path), "CUSTOMER.TXT")
    suggestion = suggest_mapping(table.headers, table.sample())
    confirmed = mapping_from_suggestion(suggestion)
    [(row_number, values)] = list(table.rows())

    assert table.delimiter == "\t"
    assert row_number == 2
    assert confirmed.is_complete()
    assert confirmed.apply(values) == {
        "company_name": "O’Brien Plumbing",
        "customer_number": "CUS001",
        "site_address.line1": "12 Smith St",
        "site_address.suburb": "Darwin",
        "site_address.state": "NT",
        "site_address.postcode": "0800",
        "phone": "08 8999 1111",
        "billing_address.line1": "PO Box 7",
        "billing_address.suburb": "Darwin",
        "billing_address.postcode": "0801",
    }
