"""The OpenAPI 3.1 document, built from the route registry and the schemas routes validate with."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic.json_schema import models_json_schema

from chalicelib.api import idempotency
from chalicelib.api.http import ROUTE_DOCS, QueryParam, RouteDoc
from chalicelib.api.problems import PROBLEM_TYPE
from chalicelib.api.schemas import Problem
from chalicelib.lazy import resolve

API_PREFIX = "/v1"
_REASONS = {
    400: "Malformed request",
    401: "No or bad token",
    403: "Not allowed",
    404: "Unknown id",
    409: "Conflict",
    412: "Stale If-Match",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid fields",
    503: "Busy: retry after Retry-After seconds",
}

REQUEST_ID_HEADER = {
    "description": "API Gateway's id of the request; quote it when reporting a problem.",
    "schema": {"type": "string"},
}


def _operation(doc: RouteDoc) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": doc.summary,
        "operationId": re.sub(r"\W+", "_", f"{doc.method.lower()}{doc.path}").strip("_"),
        "tags": [doc.tag],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", doc.path)
        ]
        + [
            {
                "name": q.name,
                "in": "query",
                "required": False,
                "description": q.description,
                "schema": _query_schema(q),
            }
            for q in doc.query
        ],
    }
    if doc.method in ("PATCH", "PUT", "DELETE"):
        op["parameters"].append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "The ETag you read; 412 if it is stale.",
                "schema": {"type": "string"},
            }
        )
    idempotent = doc.method == "POST" and not doc.public
    if idempotent:
        op["parameters"].append(idempotency.openapi_parameter())
    if doc.body is not None:
        op["requestBody"] = {
            "required": doc.body_required,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{doc.body.__name__}"}
                }
            },
        }
    ok: dict[str, Any] = {"description": {200: "OK", 204: "No content"}.get(doc.status, "Created")}
    if doc.status != 204:
        schema = (
            {"$ref": f"#/components/schemas/{doc.response.__name__}"}
            if doc.response is not None
            else {"type": "object"}
        )
        ok["content"] = {"application/json": {"schema": schema}}
    responses: dict[str, Any] = {str(doc.status): ok}
    ok["headers"] = {"X-Request-Id": REQUEST_ID_HEADER}
    if idempotent:
        ok["headers"][idempotency.REPLAYED_HEADER] = {
            "description": "true when this is the first response, replayed for a repeated key.",
            "schema": {"type": "string", "enum": ["true"]},
        }
    if doc.creates:
        ok["headers"]["Location"] = {
            "description": "The new resource's URL, from the API's root.",
            "schema": {"type": "string"},
        }
    if _has_etag(doc):
        ok["headers"]["ETag"] = {
            "description": "The record's version; send it as If-Match or If-None-Match.",
            "schema": {"type": "string"},
        }
    if _has_etag(doc) and doc.method == "GET":
        op["parameters"].append(
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "description": "ETags you hold; 304 without a body while the record is unchanged.",
                "schema": {"type": "string"},
            }
        )
        responses["304"] = {
            "description": "Not modified: the ETag you sent is current",
            "headers": {"ETag": {"schema": {"type": "string"}}},
        }
    problem_codes = (
        set(doc.errors) | {400, 500} | (set(idempotency.ERRORS) if idempotent else set())
    )
    if not doc.public:
        problem_codes |= {401, 503}
        op["security"] = [{"bearer": []}]
    else:
        op["security"] = []
    if doc.admin:
        problem_codes |= {403}
    if doc.paged:
        problem_codes |= {422}  # limit outside 1-200
    for code in sorted(problem_codes):
        responses[str(code)] = {
            "description": _REASONS.get(code, "Error"),
            "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    op["responses"] = responses
    return op


def _has_etag(doc: RouteDoc) -> bool:
    """Whether the route answers one versioned record (``record()`` gives it an ETag)."""
    return doc.response is not None and "version" in doc.response.model_fields and not doc.paged


def _query_schema(param: QueryParam) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": param.type}
    if param.enum:
        schema["enum"] = list(param.enum)
    for key in ("minimum", "maximum", "default"):
        if getattr(param, key) is not None:
            schema[key] = getattr(param, key)
    return schema


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    models = {Problem}
    for doc in ROUTE_DOCS:
        models.update(resolve(m) for m in (doc.body, doc.response) if m is not None)
    _, schemas = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for doc in ROUTE_DOCS:
        paths.setdefault(API_PREFIX + doc.path, {})[doc.method.lower()] = _operation(doc)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sitebook API",
            "version": "1.0.0",
            "description": "Customers, sites, contacts and equipment of a field-service business, "
            "with spreadsheet import and export. Errors are RFC 9457 problem+json.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
