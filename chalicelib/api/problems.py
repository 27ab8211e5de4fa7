"""RFC 9457 problem+json responses: the one place error bodies are built."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.domain.errors import DomainError, FieldError

PROBLEM_TYPE = "application/problem+json"

_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition failed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-failed", "Validation failed"),
    428: ("precondition-required", "Precondition required"),
    500: ("internal-error", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}


def problem_body(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    slug, default_title = _SLUGS.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        # Relative type URIs resolve against the API's base URL (RFC 9457 §3.1.1).
        "type": f"/problems/{slug}",
        "title": title or default_title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in (extra or {}).items() if v is not None})
    return body


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    """A problem+json Response; ``extra`` adds extension members (RFC 9457 §3.2)."""
    body = problem_body(status, detail, title=title, errors=errors, instance=instance, extra=extra)
    return Response(
        body=json.dumps(body),
        status_code=status,
        headers={"Content-Type": PROBLEM_TYPE, **(headers or {})},
    )


def problem_for(error: DomainError) -> Response:
    """The problem a domain error is; a Conflict names the record holding the value."""
    extra = {"conflicting_id": getattr(error, "conflicting_id", None)}
    return problem(error.status, error.detail, title=error.title, errors=error.errors, extra=extra)
