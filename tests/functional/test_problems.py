"""Every error path answers RFC 9457 problem+json, and never shows internals."""

import pytest

from tests.problems import assert_problem


def test_unknown_route_is_404_problem(api):
    assert_problem(api.get("/v1/no-such-thing"), 404)


def test_unknown_route_without_token_is_404_problem(api):
    assert_problem(api.get("/v1/no-such-thing", token=False), 404)


def test_wrong_method_is_405_with_allow(api):
    reply = api.delete("/v1/settings")
    assert_problem(reply, 405)
    assert "GET" in reply.header("Allow")


def test_malformed_json_is_400(api):
    body = assert_problem(api.post("/v1/lookups/customer-types", raw=b"{name:"), 400)
    assert "JSON" in body["detail"]


def test_json_that_is_not_an_object_is_400(api):
    assert_problem(api.post("/v1/lookups/customer-types", raw=b"[1,2]"), 400)


def test_wrong_content_type_is_415(api):
    reply = api.post(
        "/v1/lookups/customer-types", raw=b"name=x", headers={"Content-Type": "text/plain"}
    )
    assert_problem(reply, 415)


def test_validation_names_each_field_and_reason(api):
    reply = api.post("/v1/lookups/payment-terms", {"name": "", "due_days": -1, "colour": "red"})
    body = assert_problem(reply, 422)
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"name", "due_days", "colour"}
    assert fields["colour"] == "is not a field of this resource"
    assert api.get("/v1/lookups/payment-terms").json["items"] == []


def test_unexpected_exception_is_500_problem_without_internals(api, monkeypatch, caplog):
    from chalicelib.store import users

    def explode(*a, **k):
        raise RuntimeError("secret table name sitebook-test exploded")

    monkeypatch.setattr(users, "list_users", explode)
    reply = api.get("/v1/users")
    body = assert_problem(reply, 500)
    assert "secret" not in reply.body.decode() and "Traceback" not in reply.body.decode()
    assert "request id" in body["detail"]
    assert any("exploded" in r.getMessage() or r.exc_info for r in caplog.records)


@pytest.mark.parametrize("limit", ["0", "201"])
def test_bad_limit_is_422(api, limit):
    assert_problem(api.get(f"/v1/users?limit={limit}"), 422)


def test_forged_cursor_is_400(api):
    assert_problem(api.get("/v1/users?cursor=not-a-cursor"), 400)
