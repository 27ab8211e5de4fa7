"""The customer label ("Client") reaches API messages, the template's notes and its columns."""

from __future__ import annotations

import io

import pytest

from tests.functional.test_template_import import s3_bytes
from tests.problems import assert_problem


@pytest.fixture
def clients(api):
    """A tenant whose business calls its customers clients."""
    reply = api.put(
        "/v1/settings", {"customer_label": "Client", "default_country": "AU", "date_order": "DMY"}
    )
    assert reply.status == 200, reply.json
    return api


def test_problems_about_customers_use_the_tenants_word(clients):
    first = clients.post("/v1/customers", {"name": "Acme"}).json

    missing = assert_problem(clients.get("/v1/customers/nope"), 404)
    taken = assert_problem(clients.post("/v1/customers", {"name": "acme"}), 409)
    bad_link = assert_problem(
        clients.post(
            "/v1/customers", {"name": "Site", "billing": {"billing_customer_id": "nobody"}}
        ),
        422,
    )

    assert missing["title"] == "Client not found" and missing["detail"] == "No client with that id."
    assert taken["title"] == "Client name taken" and taken["conflicting_id"] == first["id"]
    assert "Another client already has the name" in taken["detail"]
    assert bad_link["errors"][0]["field"] == "billing.billing_customer_id"
    assert "client" in bad_link["errors"][0]["message"]
    assert "customer" not in bad_link["detail"].replace("billing_customer_id", "")


def test_problems_keep_customer_for_the_default_label(api):
    missing = assert_problem(api.get("/v1/customers/nope"), 404)
    assert missing["title"] == "Customer not found"


def test_the_template_columns_and_notes_use_the_tenants_word(clients):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(s3_bytes(clients.get("/v1/imports/template").json["url"])))
    sites = book["Sites"]
    headers = [cell.value for cell in sites[1]]
    notes = {cell.value: cell.comment.text for cell in sites[1] if cell.comment}
    instructions = " ".join(str(c.value) for row in book["Instructions"] for c in row if c.value)

    assert "Billing Client" in headers and "Billing Customer" not in headers
    assert "Send Invoices To Billing Client" in headers
    assert "The client invoiced for this site" in notes["Billing Client"]
    assert not any("customer" in note.lower() for note in notes.values())
    assert "Billing Client" in instructions and "Client types" in instructions
    assert "customer" not in instructions.lower()


def test_a_template_in_the_tenants_words_imports_its_billing_links(clients, aws, tmp_path):
    from chalicelib import aws as aws_clients
    from chalicelib.imports.template import write_filled_template
    from tests.functional.test_template_import import deliver, record

    rows = {
        "customers": [{"Client Name": "Harbour Realty"}],
        "sites": [{"Client Name": "Unit 1", "Billing Client": "Harbour Realty"}],
    }
    created = clients.post("/v1/imports", {"file_name": "clients.xlsx"}).json
    write_filled_template(tmp_path / "clients.xlsx", rows, customer_label="Client")
    key = created["upload"]["fields"]["key"]
    aws_clients.client("s3").upload_file(str(tmp_path / "clients.xlsx"), aws.names.bucket, key)
    deliver(key)

    assert record(clients, created["id"])["status"] == "succeeded"
    harbour = clients.get("/v1/customers?q=harbour").json["items"][0]
    unit = clients.get("/v1/customers?q=unit").json["items"][0]
    assert unit["billing"]["billing_customer_id"] == harbour["id"]
