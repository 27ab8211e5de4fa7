"""Lookups, users and settings: uniqueness, archiving, lists, ETags and If-Match."""

import pytest

from tests.problems import assert_problem


def test_lookup_names_are_unique_per_kind_ignoring_case(api):
    assert api.post("/v1/lookups/lead-sources", {"name": "Google Ads"}).status == 201
    reply = api.post("/v1/lookups/lead-sources", {"name": "  google   ADS "})
    assert "already exists" in assert_problem(reply, 409)["detail"]
    assert api.post("/v1/lookups/customer-types", {"name": "Google Ads"}).status == 201


def test_same_lookup_name_in_two_tenants_is_fine(api):
    assert api.post("/v1/lookups/lead-sources", {"name": "Radio"}).status == 201
    assert (
        api.as_(tenant="another").post("/v1/lookups/lead-sources", {"name": "Radio"}).status == 201
    )


def test_renaming_releases_the_old_name(api):
    item = api.post("/v1/lookups/contact-roles", {"name": "Tenant"}).json
    renamed = api.patch(f"/v1/lookups/contact-roles/{item['id']}", {"name": "Occupant"})
    assert (
        renamed.status == 200
        and renamed.json["name"] == "Occupant"
        and renamed.header("ETag") == '"2"'
    )
    assert api.post("/v1/lookups/contact-roles", {"name": "Tenant"}).status == 201
    assert_problem(api.post("/v1/lookups/contact-roles", {"name": "occupant"}), 409)


def test_payment_terms_carry_due_days_and_basis(api):
    reply = api.post(
        "/v1/lookups/payment-terms", {"name": "30 EOM", "due_days": 30, "due_basis": "end_of_month"}
    )
    assert reply.status == 201 and reply.json["due_basis"] == "end_of_month"
    missing = api.post("/v1/lookups/payment-terms", {"name": "Net"})
    assert_problem(missing, 422, fields={"due_days", "due_basis"})


def test_extra_fields_of_another_kind_are_refused(api):
    reply = api.post("/v1/lookups/customer-types", {"name": "Trade", "adjustment_percent": 5})
    assert_problem(reply, 422, field="adjustment_percent")


def test_unknown_lookup_kind_is_404(api):
    assert_problem(api.get("/v1/lookups/colours"), 404)


def test_delete_archives_and_lists_can_filter(api):
    item = api.post("/v1/lookups/equipment-types", {"name": "Boiler"}).json
    api.post("/v1/lookups/equipment-types", {"name": "Aircon"})
    archived = api.delete(f"/v1/lookups/equipment-types/{item['id']}")
    assert archived.status == 200 and archived.json["active"] is False
    assert api.get(f"/v1/lookups/equipment-types/{item['id']}").json["active"] is False
    active = api.get("/v1/lookups/equipment-types?active=true").json["items"]
    assert [i["name"] for i in active] == ["Aircon"]


def test_lists_are_sorted_by_name_and_paged_with_a_cursor(api):
    for name in ["Delta", "alpha", "Charlie", "bravo", "Echo"]:
        api.post("/v1/lookups/customer-types", {"name": name})
    first = api.get("/v1/lookups/customer-types?limit=2").json
    assert [i["name"] for i in first["items"]] == ["alpha", "bravo"] and first["next_cursor"]
    second = api.get(f"/v1/lookups/customer-types?limit=2&cursor={first['next_cursor']}").json
    assert [i["name"] for i in second["items"]] == ["Charlie", "Delta"]
    third = api.get(f"/v1/lookups/customer-types?limit=2&cursor={second['next_cursor']}").json
    assert [i["name"] for i in third["items"]] == ["Echo"] and third["next_cursor"] is None


def test_cursor_of_another_tenant_is_refused(api):
    for name in ["a", "b", "c"]:
        api.post("/v1/lookups/customer-types", {"name": name})
    cursor = api.get("/v1/lookups/customer-types?limit=1").json["next_cursor"]
    assert_problem(api.as_(tenant="thief").get(f"/v1/lookups/customer-types?cursor={cursor}"), 400)


def test_stale_if_match_is_412_and_nothing_changes(api):
    item = api.post("/v1/lookups/customer-types", {"name": "Retail"}).json
    ok = api.patch(
        f"/v1/lookups/customer-types/{item['id']}",
        {"name": "Retail shop"},
        headers={"If-Match": '"1"'},
    )
    assert ok.status == 200
    stale = api.patch(
        f"/v1/lookups/customer-types/{item['id']}", {"name": "Shop"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412)
    assert api.get(f"/v1/lookups/customer-types/{item['id']}").json["name"] == "Retail shop"


def test_another_tenants_lookup_is_404(api):
    item = api.post("/v1/lookups/customer-types", {"name": "Secret"}).json
    assert_problem(api.as_(tenant="other").get(f"/v1/lookups/customer-types/{item['id']}"), 404)
    assert (
        api.as_(tenant="other")
        .patch(f"/v1/lookups/customer-types/{item['id']}", {"name": "x"})
        .status
        == 404
    )


def test_admin_manages_users_and_emails_are_unique(api, staff):
    created = api.post("/v1/users", {"name": "Pat Plumber", "email": "Pat@Example.com"})
    assert created.status == 201 and created.json["email"] == "pat@example.com"
    assert_problem(api.post("/v1/users", {"name": "Other Pat", "email": "pat@example.com"}), 409)
    assert staff.get(f"/v1/users/{created.json['id']}").status == 200
    assert_problem(staff.patch(f"/v1/users/{created.json['id']}", {"role": "admin"}), 403)
    made_admin = api.patch(
        f"/v1/users/{created.json['id']}", {"role": "admin"}, headers={"If-Match": '"1"'}
    )
    assert made_admin.json["role"] == "admin"


def test_invalid_user_email_names_the_field(api):
    reply = api.post("/v1/users", {"name": "X", "email": "not-an-email"})
    assert_problem(reply, 422, field="email")


def test_a_new_tenant_reads_default_settings(api):
    reply = api.get("/v1/settings")
    assert reply.status == 200
    assert {k: reply.json[k] for k in ("customer_label", "default_country", "date_order")} == {
        "customer_label": "Customer",
        "default_country": "AU",
        "date_order": "DMY",
    }


def test_admin_changes_settings_with_if_match(api):
    body = {"customer_label": "Client", "default_country": "nz", "date_order": "MDY"}
    first = api.put("/v1/settings", body)
    assert (
        first.status == 200
        and first.json["default_country"] == "NZ"
        and first.header("ETag") == '"1"'
    )
    assert (
        api.put(
            "/v1/settings", {**body, "customer_label": "Job"}, headers={"If-Match": '"0"'}
        ).status
        == 412
    )
    assert api.get("/v1/settings").json["customer_label"] == "Client"


def test_settings_reject_unknown_country(api):
    reply = api.put(
        "/v1/settings", {"customer_label": "Client", "default_country": "XX", "date_order": "DMY"}
    )
    assert_problem(reply, 422, field="default_country")


@pytest.mark.parametrize(
    "label", ["Job*", "Site/Client", "Client?", "[Client]", "A:B", "Back\\slash"]
)
def test_a_customer_label_that_cannot_title_a_sheet_is_422_and_the_template_still_downloads(
    api, label
):
    body = {"customer_label": label, "default_country": "AU", "date_order": "DMY"}
    reply = api.put("/v1/settings", body)
    assert_problem(reply, 422, field="customer_label")
    assert api.get("/v1/imports/template").status == 200
