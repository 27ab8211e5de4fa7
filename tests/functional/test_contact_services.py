"""The contacts service against moto: a default moved on a stale read writes nothing."""

import pytest

from tests.problems import assert_problem


def test_a_new_default_racing_a_change_of_the_old_default_writes_nothing(api, monkeypatch):
    from chalicelib.domain.errors import PreconditionFailed
    from chalicelib.services import contacts
    from chalicelib.store import contacts as store

    cid = api.post("/v1/customers", {"name": "Harbour Cafe"}).json["id"]
    base = f"/v1/customers/{cid}/contacts"
    ann = api.post(base, {"first_name": "Ann"}).json
    real = store.contacts_of

    def read_then_someone_edits_ann(tenant_id, customer_id):
        found = real(tenant_id, customer_id)
        assert api.patch(f"{base}/{ann['id']}", {"notes": "meanwhile"}).status == 200
        return found

    monkeypatch.setattr(store, "contacts_of", read_then_someone_edits_ann)
    with pytest.raises(PreconditionFailed):
        contacts.create_contact(api.tenant, cid, {"first_name": "Bob", "is_default": True}, None)
    items = api.get(base).json["items"]
    assert [(c["first_name"], c["is_default"]) for c in items] == [("Ann", True)]


def test_removing_a_contact_of_another_customer_is_not_found(api):
    first = api.post("/v1/customers", {"name": "First"}).json["id"]
    second = api.post("/v1/customers", {"name": "Second"}).json["id"]
    ann = api.post(f"/v1/customers/{first}/contacts", {"first_name": "Ann"}).json
    assert_problem(api.delete(f"/v1/customers/{second}/contacts/{ann['id']}"), 404)
    assert api.get(f"/v1/customers/{first}/contacts/{ann['id']}").status == 200
