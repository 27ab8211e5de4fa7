"""Import and export records say who asked: the token's sub and client_id, or the drop."""

from __future__ import annotations

from tests.functional.test_own_format_import import myob_csv, put
from tests.functional.test_template_import import deliver


def _as_client(api, mint, *, user: str, client_id: str | None):
    extra = {"client_id": client_id} if client_id else None
    other = api.as_(user=user)
    other.token = mint(api.tenant, "admin", user, extra=extra)
    return other


def test_an_import_keeps_the_sub_and_client_id_of_the_token_that_created_it(api, mint):
    partner = _as_client(api, mint, user="sub-partner-7", client_id="app-client-42")
    created = partner.post("/v1/imports", {"source": "template", "file_name": "c.xlsx"})
    assert created.status == 201
    expected = {"sub": "sub-partner-7", "client_id": "app-client-42", "drop": None}
    assert created.json["requested_by"] == expected
    # ...and anyone of the tenant reading it later sees the same.
    assert api.get(f"/v1/imports/{created.json['id']}").json["requested_by"] == expected


def test_a_token_without_client_id_records_only_its_sub(api, mint):
    person = _as_client(api, mint, user="sub-office-1", client_id=None)
    created = person.post("/v1/exports", {"targets": ["customers"]})
    assert created.status == 202
    shown = api.get(f"/v1/exports/{created.json['id']}").json["requested_by"]
    assert shown == {"sub": "sub-office-1", "client_id": None, "drop": None}


def test_a_dropped_file_records_the_drop_that_started_it(api, aws):
    key = f"drops/{api.tenant}/template/week 1.csv"
    put(aws, key, myob_csv())
    deliver(key)
    (item,) = api.get("/v1/imports").json["items"]
    assert item["requested_by"] == {"sub": None, "client_id": None, "drop": key}


def test_a_tenant_whose_first_contact_is_a_dropped_file_gets_its_defaults(newcomer, aws):
    """A partner's drop is a tenant's first request too: the worker provisions it, so its
    rows can name the default payment terms."""
    from chalicelib.services.tenants import forget_ready_tenants
    from chalicelib.store.tenants import is_provisioned

    forget_ready_tenants()  # a fresh worker process, that never saw this tenant
    key = f"drops/{newcomer.tenant}/template/first.csv"
    put(aws, key, myob_csv())
    assert not is_provisioned(newcomer.tenant)
    deliver(key)
    assert is_provisioned(newcomer.tenant)  # by the worker: no API request was made
    assert newcomer.get("/v1/lookups/payment-terms").json["items"], "the default payment terms"
