"""Hostile or careless input answers 400/422 problem+json, never a 500."""

import base64
import json

import pytest

from tests.problems import assert_problem

DEEP = 1000


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _cursor(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/v1/lookups/customer-types"),
        ("PUT", "/v1/settings"),
        ("POST", "/v1/customers"),
        ("POST", "/v1/users"),
        ("POST", "/v1/mappings"),
    ],
)
def test_a_body_nested_a_thousand_deep_is_400(api, method, path):
    raw = ('{"name": ' + _nested(DEEP) + "}").encode()
    body = assert_problem(api.request(method, path, raw=raw), 400)
    assert "deeper" in body["detail"]


def test_custom_fields_nested_a_thousand_deep_are_400(api):
    raw = ('{"name": "Deep Pty", "custom_fields": {"x": ' + _nested(DEEP) + "}}").encode()
    assert_problem(api.post("/v1/customers", raw=raw), 400)
    assert api.get("/v1/customers").json["items"] == []


def test_brackets_inside_strings_do_not_count_as_nesting(api):
    reply = api.post("/v1/customers", {"name": "[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{"})
    assert reply.status == 201, reply.json


@pytest.mark.parametrize("limit", ["²", "٣", "abc", "1.5", "-1", "1e2", "9" * 40])
def test_a_limit_that_is_not_a_whole_number_is_400(api, limit):
    body = assert_problem(api.get(f"/v1/lookups/customer-types?limit={limit}"), 400)
    assert "limit" in body["detail"]


@pytest.mark.parametrize("limit", ["0", "201", "000"])
def test_a_limit_outside_1_to_200_is_422(api, limit):
    body = assert_problem(api.get(f"/v1/lookups/customer-types?limit={limit}"), 422)
    assert body["errors"][0]["field"] == "limit"


@pytest.fixture
def real_cursor(api):
    for name in ("Alpha", "Bravo", "Charlie"):
        assert api.post("/v1/lookups/customer-types", {"name": name}).status == 201
    page = api.get("/v1/lookups/customer-types?limit=1").json
    assert page["next_cursor"]
    padded = page["next_cursor"] + "=" * (-len(page["next_cursor"]) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


def test_a_real_cursor_pages_on(api, real_cursor):
    reply = api.get(f"/v1/lookups/customer-types?limit=1&cursor={_cursor(real_cursor)}")
    assert [i["name"] for i in reply.json["items"]] == ["Bravo"]


FORGERIES = {
    "partition-as-string": lambda key: {"gsi1pk": "x"},
    "partition-as-list": lambda key: {"gsi1pk": [1]},
    "typed-value-not-string": lambda key: {"gsi1pk": {"S": [1]}},
    "list": lambda key: [key],
    "string": lambda key: "a string",
    "missing-sk": lambda key: {k: v for k, v in key.items() if k != "sk"},
    "missing-index-sort-key": lambda key: {k: v for k, v in key.items() if k != "gsi1sk"},
    "number-typed-sort-key": lambda key: {**key, "gsi1sk": {"N": "1"}},
    "two-types": lambda key: {**key, "sk": {"S": "x", "N": "1"}},
    "untyped-value": lambda key: {**key, "sk": "plain"},
    "extra-key": lambda key: {**key, "extra": {"S": "x"}},
}


def test_a_cursor_of_the_wrong_shape_is_400(api, real_cursor):
    # One tenant for every forgery: each answer is independent of the others.
    for name, forge in FORGERIES.items():
        reply = api.get(f"/v1/lookups/customer-types?cursor={_cursor(forge(real_cursor))}")
        assert reply.status == 400, (name, reply.status, reply.body[:200])
        assert reply.content_type == "application/problem+json", name
        assert "cursor" in reply.json["detail"], name


def test_a_table_cursor_is_refused_by_an_index_list(api):
    customer = api.post("/v1/customers", {"name": "Paged Pty"}).json
    table_key = {"pk": {"S": f"{api.tenant}#CUSTOMER#{customer['id']}"}, "sk": {"S": "X"}}
    assert_problem(api.get(f"/v1/lookups/customer-types?cursor={_cursor(table_key)}"), 400)
    contacts = f"/v1/customers/{customer['id']}/contacts"
    assert_problem(api.get(f"{contacts}?cursor={_cursor({'pk': {'S': 'x'}})}"), 400)


def test_a_cursor_nested_a_thousand_deep_is_400(api):
    cursor = base64.urlsafe_b64encode(_nested(DEEP).encode()).decode()
    assert_problem(api.get(f"/v1/lookups/customer-types?cursor={cursor}"), 400)
