"""Who may call what: the authorizer, the tenant from the token only, and admin-only writes."""

import time

import jwt
import pytest

from tests.problems import assert_problem


def test_missing_token_is_401_problem(api):
    assert_problem(api.get("/v1/users", token=False), 401)


def test_malformed_authorization_header_is_401(api):
    assert_problem(api.get("/v1/users", headers={"Authorization": "Basic abc"}, token=None), 401)


def test_expired_token_is_401(api, mint):
    token = mint(api.tenant, extra={"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600})
    assert_problem(api.get("/v1/users", token=token), 401)


@pytest.mark.parametrize("claim", [{"iss": "someone-else"}, {"aud": "another-app"}])
def test_wrong_issuer_or_audience_is_401(api, mint, claim):
    assert_problem(api.get("/v1/users", token=mint(api.tenant, extra=claim)), 401)


def test_alg_none_token_is_401(api):
    now = int(time.time())
    claims = {
        "sub": "x",
        "iss": "sitebook-local",
        "aud": "sitebook-local",
        "iat": now,
        "exp": now + 60,
        "custom:tenant_id": api.tenant,
        "cognito:groups": ["admin"],
    }
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_problem(api.get("/v1/users", token=unsigned), 401)


def test_token_signed_by_another_key_is_401(api):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from devstack.keys import mint_token

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = mint_token(tenant=api.tenant, private_key=other)
    assert_problem(api.get("/v1/users", token=token), 401)


def test_hs256_token_using_public_key_as_secret_is_401(api, key_pair):
    _, public = key_pair
    now = int(time.time())
    claims = {
        "sub": "x",
        "iss": "sitebook-local",
        "aud": "sitebook-local",
        "iat": now,
        "exp": now + 60,
        "custom:tenant_id": api.tenant,
    }
    forged = jwt.api_jws.PyJWS().encode(
        jwt.utils.force_bytes(__import__("json").dumps(claims)), b"x" * 32, algorithm="HS256"
    )
    assert_problem(api.get("/v1/users", token=forged), 401)


def test_token_without_tenant_is_401(api, mint):
    token = mint(api.tenant, extra={"custom:tenant_id": None})
    assert_problem(api.get("/v1/users", token=token), 401)


def test_staff_cannot_create_payment_terms(staff):
    body = assert_problem(
        staff.post(
            "/v1/lookups/payment-terms",
            {"name": "60 days", "due_days": 60, "due_basis": "invoice_date"},
        ),
        403,
    )
    assert "admin" in body["detail"]


def test_staff_may_add_a_customer_type(staff):
    assert staff.post("/v1/lookups/customer-types", {"name": "Strata"}).status == 201


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("POST", "/v1/users", {"name": "A", "email": "a@x.example"}),
        (
            "PUT",
            "/v1/settings",
            {"customer_label": "Client", "default_country": "NZ", "date_order": "DMY"},
        ),
        ("POST", "/v1/lookups/price-levels", {"name": "VIP", "adjustment_percent": -5}),
    ],
)
def test_staff_are_refused_admin_writes(staff, method, path, body):
    assert_problem(staff.request(method, path, body), 403)


def test_a_header_or_body_naming_another_tenant_is_ignored(api):
    api.post("/v1/lookups/customer-types", {"name": "Mine"})
    other = api.as_(tenant="victim-tenant")
    other.post("/v1/lookups/customer-types", {"name": "Theirs"})
    reply = api.get("/v1/lookups/customer-types", headers={"X-Tenant-Id": "victim-tenant"})
    assert [i["name"] for i in reply.json["items"]] == ["Mine"]
    reply = api.post("/v1/lookups/customer-types", {"name": "Sneaky", "tenant_id": "victim-tenant"})
    assert_problem(reply, 422)
    # The victim, a new tenant, also holds the default types it was provisioned with.
    theirs = {i["name"] for i in other.get("/v1/lookups/customer-types").json["items"]}
    assert "Theirs" in theirs and not theirs & {"Mine", "Sneaky"}


@pytest.mark.parametrize(
    "groups", [7, True, {"admin": 1}, "admin", ["admin", 1], [["admin"]]], ids=repr
)
def test_groups_claim_that_is_not_a_list_of_names_is_401(api, mint, groups):
    token = mint(api.tenant, extra={"cognito:groups": groups})
    assert_problem(api.get("/v1/users", token=token), 401)
    assert_problem(api.post("/v1/users", {"name": "A", "email": "a@x.example"}, token=token), 401)


@pytest.mark.parametrize("claim", [{"sub": 12}, {"email": ["a@x.example"]}, {"name": {"x": 1}}])
def test_identity_claims_of_the_wrong_type_are_401(api, mint, claim):
    assert_problem(api.get("/v1/users", token=mint(api.tenant, extra=claim)), 401)


def test_only_a_list_holding_admin_makes_an_admin(api, mint):
    staff_token = mint(api.tenant, extra={"cognito:groups": ["staff", "admins"]})
    body = {"name": "A", "email": "a@x.example"}
    assert_problem(api.post("/v1/users", body, token=staff_token), 403)
    admin_token = mint(api.tenant, extra={"cognito:groups": ["staff", "admin"]})
    assert api.post("/v1/users", body, token=admin_token).status == 201
