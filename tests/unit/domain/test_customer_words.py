"""Messages speak of customers in the tenant's own word."""

from __future__ import annotations

import pytest

from chalicelib.domain.tenant_settings import in_customer_words


@pytest.mark.parametrize(
    ("text", "label", "said"),
    [
        ("No customer with that id.", "Client", "No client with that id."),
        ("Customer not found", "Client", "Client not found"),
        ("Rows match existing customers.", "Client", "Rows match existing clients."),
        ("Customers and sites", "Patients", "Patients and sites"),
        ("not a customer here", "NDIS participant", "not a NDIS participant here"),
        ("billing_customer_id: not a customer", "Client", "billing_customer_id: not a client"),
        ("{customer} Name", "Client", "{customer} Name"),
        ("No customer with that id.", "Customer", "No customer with that id."),
        ("No customer with that id.", "  ", "No customer with that id."),
    ],
)  # fmt: skip
def test_the_word_customer_becomes_the_tenants_label(text, label, said):
    assert in_customer_words(text, label) == said
