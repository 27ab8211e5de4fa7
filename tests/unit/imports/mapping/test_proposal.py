"""The analysis's ready /start body: the suggestion as a mapping, with the splits it calls for."""

from __future__ import annotations

from chalicelib.imports.mapping.columns import parse_mapping
from chalicelib.imports.mapping.proposal import start_body
from chalicelib.imports.mapping.suggest import suggest_mapping


def body_for(headers, rows, target="customers"):
    suggestion = suggest_mapping(headers, rows, target)
    body = start_body(suggestion, rows)
    parse_mapping(body["mapping"], headers, target)  # what /start checks: it must fit as is
    return {c["source"]: c for c in body["mapping"]["columns"]}


def test_a_one_line_address_column_is_split_into_its_parts():
    headers = ["Customer Name", "Address", "Phone"]
    rows = [
        ["Acme", "12 Smith St, Richmond VIC 3121", "0398765432"],
        ["Bright", "4 Long Rd, Carlton VIC 3053", "0398765433"],
    ]
    columns = body_for(headers, rows)
    assert columns["Address"] == {
        "source": "Address",
        "transform": "split_address",
        "prefix": "site_address",
    }
    assert columns["Phone"] == {"source": "Phone", "field": "phone"}


def test_a_street_column_beside_suburb_and_postcode_columns_is_not_split():
    headers = ["Customer Name", "Address", "Suburb", "Postcode"]
    rows = [["Acme", "12 Smith St, Richmond VIC 3121", "Richmond", "3121"]]
    assert "transform" not in body_for(headers, rows)["Address"]


def test_streets_alone_are_not_split():
    rows = [["Acme", "12 Smith St"], ["Bright", "4 Long Rd"]]
    columns = body_for(["Customer Name", "Address"], rows)
    assert columns["Address"] == {"source": "Address", "field": "site_address.line1"}


def test_a_full_name_column_is_split_when_no_first_or_last_name_column_exists():
    rows = [["Jo Bloggs", "jo@example.com"], ["Dr Ann van der Berg", "ann@example.com"]]
    columns = body_for(["Full Name", "Email"], rows)
    assert columns["Full Name"] == {
        "source": "Full Name",
        "transform": "split_name",
        "fields": ["first_name", "last_name"],
    }


def test_a_contacts_name_column_is_split_but_businesses_and_named_parts_are_not():
    contacts = body_for(["Customer", "Name"], [["Acme", "Jo Bloggs"]], target="contacts")
    assert contacts["Name"]["transform"] == "split_name"
    businesses = body_for(["Full Name"], [["Acme Plumbing Pty Ltd"], ["Bright Sparks Co"]])
    assert "transform" not in businesses["Full Name"]
    apart = body_for(["Full Name", "First Name", "Last Name"], [["Jo Bloggs", "Jo", "Bloggs"]])
    assert "transform" not in apart["Full Name"]


def test_an_ordinary_customer_name_stays_whole():
    columns = body_for(["Name", "Email"], [["Jo Bloggs", "jo@example.com"]])
    assert columns["Name"] == {"source": "Name", "field": "name"}


def test_unmapped_columns_are_left_out_and_the_body_names_target_and_headers():
    suggestion = suggest_mapping(["Customer Name", "Fax"], [["Acme", "0398765432"]])
    body = start_body(suggestion, [["Acme", "0398765432"]])
    assert body == {
        "mapping": {
            "target": "customers",
            "has_headers": True,
            "columns": [{"source": "Customer Name", "field": "name"}],
        }
    }
