"""HTTP middleware: Chalice's own error bodies (405, 415, 500) become problem+json."""

from __future__ import annotations

import json
import logging

from chalice import Response

from chalicelib.api.http import request_id
from chalicelib.api.problems import PROBLEM_TYPE, problem

log = logging.getLogger("sitebook.api")


def _chalice_error(response: Response) -> str | None:
    body = response.body
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if isinstance(body, dict) and "Code" in body:
        return str(body.get("Message") or body["Code"])
    return None


def problem_middleware(event, get_response):
    response = get_response(event)
    headers = {k.lower(): v for k, v in (response.headers or {}).items()}
    if response.status_code >= 400 and headers.get("content-type") != PROBLEM_TYPE:
        message = _chalice_error(response)
        if response.status_code >= 500 or message is None:
            rid = request_id(event)
            message = f"Something went wrong on our side. Quote request id {rid} if you report it."
        kept = {k: v for k, v in (response.headers or {}).items() if k.lower() in ("allow",)}
        response = problem(response.status_code, message, headers=kept)
    response.headers["X-Request-Id"] = request_id(event)
    return response


def log_middleware(event, get_response):
    """Each request's log lines carry its API Gateway request id and the caller's tenant; what
    it recorded as metrics is flushed when it ends (chalicelib/observability.py)."""
    from chalicelib.observability import flush_metrics, log_context

    authorizer = (getattr(event, "context", None) or {}).get("authorizer") or {}
    log_context(request_id=request_id(event), tenant_id=authorizer.get("tenant_id") or None)
    try:
        return get_response(event)
    finally:
        flush_metrics()
