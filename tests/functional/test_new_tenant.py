"""A new tenant starts useful: default lookups on its first request, once, whatever the race."""

from __future__ import annotations

import threading

from chalicelib.domain.lookups import DEFAULT_LOOKUPS


def names(newcomer, kind: str) -> list[str]:
    return [item["name"] for item in newcomer.get(f"/v1/lookups/{kind}?limit=200").json["items"]]


def stored_lookups(tenant: str) -> dict[str, list[str]]:
    from chalicelib.store.lookups import all_lookups

    return {kind: sorted(i.name for i in all_lookups(tenant, kind)) for kind in DEFAULT_LOOKUPS}


def expected() -> dict[str, list[str]]:
    return {kind: sorted(i["name"] for i in items) for kind, items in DEFAULT_LOOKUPS.items()}


def test_the_first_request_of_a_new_tenant_gives_it_the_default_lookups(newcomer):
    assert newcomer.get("/v1/settings").json == {
        "customer_label": "Customer", "default_country": "AU", "date_order": "DMY", "version": 0,
    }  # fmt: skip

    assert sorted(names(newcomer, "payment-terms")) == expected()["payment-terms"]
    terms = newcomer.get("/v1/lookups/payment-terms").json["items"]
    assert {
        "name": "30 days end of month",
        "due_days": 30,
        "due_basis": "end_of_month",
    }.items() <= (next(t for t in terms if t["name"] == "30 days end of month").items())
    assert stored_lookups(newcomer.tenant) == expected()


def test_a_staff_users_first_request_provisions_too_and_the_defaults_are_usable(newcomer):
    staff = newcomer.as_(role="staff")
    types = {i["name"]: i["id"] for i in staff.get("/v1/lookups/customer-types").json["items"]}

    created = staff.post("/v1/customers", {"name": "Ann", "customer_type_id": types["Residential"]})

    assert created.status == 201, created.json


def test_later_requests_neither_provision_again_nor_read_the_marker(newcomer, monkeypatch):
    from chalicelib.store import tenants

    newcomer.get("/v1/settings")
    calls = []
    monkeypatch.setattr(tenants, "is_provisioned", lambda t: calls.append(t) or True)
    monkeypatch.setattr(tenants, "provision_tenant", lambda t: calls.append(t) or True)

    for _ in range(3):
        newcomer.get("/v1/customers")

    assert calls == []


def test_a_renamed_or_archived_default_is_not_brought_back(newcomer):
    from chalicelib.services.tenants import forget_ready_tenants

    cod = next(
        i for i in newcomer.get("/v1/lookups/payment-terms").json["items"] if i["name"] == "COD"
    )
    newcomer.patch(f"/v1/lookups/payment-terms/{cod['id']}", {"name": "Cash on delivery"})
    forget_ready_tenants()  # as a new Lambda process would

    newcomer.get("/v1/customers")

    assert "COD" not in names(newcomer, "payment-terms") and "Cash on delivery" in names(
        newcomer, "payment-terms"
    )


def test_two_provisionings_that_both_saw_no_marker_write_the_defaults_once(aws):
    from chalicelib.store.tenants import is_provisioned, provision_tenant

    assert not is_provisioned("t-race")
    assert provision_tenant("t-race") is True
    assert provision_tenant("t-race") is False  # the loser of the race: marker condition fails

    assert is_provisioned("t-race") and stored_lookups("t-race") == expected()


def test_concurrent_first_requests_of_one_tenant_create_each_default_once(newcomer):
    barrier = threading.Barrier(4)
    replies = []

    def first_request():
        barrier.wait()
        replies.append(newcomer.get("/v1/lookups/equipment-types").status)

    threads = [threading.Thread(target=first_request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert replies == [200] * 4
    assert stored_lookups(newcomer.tenant) == expected()


def test_a_tenant_that_had_lookups_before_provisioning_keeps_its_own(aws):
    from chalicelib.domain.lookups import lookup_kind
    from chalicelib.store import lookups
    from chalicelib.store.tenants import is_provisioned, provision_tenant

    lookups.create_lookup("t-old", lookup_kind("customer-types"), {"name": "Residential"}, None)

    assert provision_tenant("t-old") is False

    assert is_provisioned("t-old")
    assert stored_lookups("t-old")["customer-types"] == ["Residential"]
    assert stored_lookups("t-old")["payment-terms"] == []
