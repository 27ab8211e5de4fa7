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
