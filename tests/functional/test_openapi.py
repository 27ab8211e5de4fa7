"""The OpenAPI document covers every route, from the same schemas the routes validate with."""


def test_every_registered_route_and_method_is_documented(api):
    from app import app

    document = api.get("/v1/openapi.json", token=False).json
    assert document["openapi"].startswith("3.1")
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    registered = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert registered == documented


def test_request_bodies_reference_the_validating_schemas(api):
    document = api.get("/v1/openapi.json", token=False).json
    op = document["paths"]["/v1/lookups/{kind}"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["additionalProperties"] is False and "name" in schema["properties"]
    assert (
        "401" in op["responses"] and "application/problem+json" in op["responses"]["422"]["content"]
    )


def _operations(document):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def test_every_paged_get_documents_limit_1_to_200_and_its_422(api):
    document = api.get("/v1/openapi.json", token=False).json
    paged = [
        (path, op)
        for path, method, op in _operations(document)
        if any(p["name"] == "cursor" for p in op["parameters"])
    ]
    assert len(paged) >= 8
    for path, op in paged:
        limit = next(p for p in op["parameters"] if p["name"] == "limit")
        assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
        assert "422" in op["responses"], path
    assert api.get("/v1/users?limit=200").status == 200
    assert api.get("/v1/users?limit=201").status == 422


def test_request_bodies_are_required_only_where_the_route_needs_one(api):
    document = api.get("/v1/openapi.json", token=False).json
    optional = {
        (path, method)
        for path, method, op in _operations(document)
        if "requestBody" in op and not op["requestBody"]["required"]
    }
    # Both have defaults for every field: an export of everything, a real undo (not forced).
    assert optional == {("/v1/exports", "post"), ("/v1/imports/{import_id}/undo", "post")}
    assert api.post("/v1/exports").status == 202
    assert api.post("/v1/lookups/customer-types").status == 400


def test_creates_document_location_reads_304_and_every_answer_its_request_id(api):
    document = api.get("/v1/openapi.json", token=False).json
    ops = {(path, method): op for path, method, op in _operations(document)}

    for (path, method), op in ops.items():
        success = next(
            op["responses"][c] for c in ("200", "201", "202", "204") if c in op["responses"]
        )
        assert "X-Request-Id" in success["headers"], (path, method)
        if "201" in op["responses"]:
            assert "Location" in op["responses"]["201"]["headers"], (path, method)
    assert "Location" in ops[("/v1/exports", "post")]["responses"]["202"]["headers"]
    customer = ops[("/v1/customers/{customer_id}", "get")]
    assert "304" in customer["responses"]
    assert "If-None-Match" in {p["name"] for p in customer["parameters"]}
    assert "304" not in ops[("/v1/customers", "get")]["responses"]
    assert "conflicting_id" in document["components"]["schemas"]["Problem"]["properties"]
    assert ("/v1/exports", "get") in ops
