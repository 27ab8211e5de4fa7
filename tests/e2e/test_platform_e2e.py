"""The platform over HTTP on the local stack: health, OpenAPI, auth, problems, seeded demo data."""

from tests.problems import assert_problem


def test_health_and_openapi_need_no_token(anonymous):
    assert anonymous.get("/v1/health").json() == {"status": "ok"}
    assert "/v1/customers" in anonymous.get("/v1/openapi.json").json()["paths"]


def test_no_token_bad_token_and_unknown_route_are_problems(anonymous):
    for path, token, status in [
        ("/v1/users", None, 401),
        ("/v1/users", "Bearer not.a.jwt", 401),
        ("/v1/nowhere", None, 404),
    ]:
        headers = {"Authorization": token} if token else {}
        reply = anonymous.get(path, headers=headers)
        assert_problem(reply, status)


def test_demo_tenant_is_seeded(demo):
    terms = {t["name"]: t for t in demo.get("/v1/lookups/payment-terms").json()["items"]}
    assert terms["30 days end of month"]["due_basis"] == "end_of_month" and "COD" in terms
    levels = [p["name"] for p in demo.get("/v1/lookups/price-levels").json()["items"]]
    assert levels == ["Standard", "Trade"]
    assert any(u["role"] == "admin" for u in demo.get("/v1/users").json()["items"])


def test_new_tenant_works_at_once_and_admin_writes_are_guarded(stack, admin, tenant):
    from tests.e2e.conftest import Http, make_token

    assert admin.get("/v1/settings").json()["customer_label"] == "Customer"
    put = admin.put(
        "/v1/settings",
        json={"customer_label": "Client", "default_country": "AU", "date_order": "DMY"},
    )
    assert put.status_code == 200 and put.headers["ETag"] == '"1"'
    staff = Http(stack.api_url, make_token(tenant, "staff"))
    refused = staff.post("/v1/lookups/price-levels", json={"name": "VIP", "adjustment_percent": -5})
    assert_problem(refused, 403)
    assert staff.post("/v1/lookups/customer-types", json={"name": "Strata"}).status_code == 201
    dup = admin.post("/v1/lookups/customer-types", json={"name": "STRATA"})
    assert_problem(dup, 409)
