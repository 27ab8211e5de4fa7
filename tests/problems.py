"""One assertion for RFC 9457 problem responses, for functional (in-process) and e2e replies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PROBLEM_JSON = "application/problem+json"


def _status_type_body(reply: Any) -> tuple[int, str, Any]:
    if hasattr(reply, "status_code"):  # a requests.Response from the e2e stack
        return reply.status_code, reply.headers.get("Content-Type", ""), reply.json()
    return reply.status, reply.content_type, reply.json  # a functional tests' Reply


def error_fields(body: dict) -> set[str]:
    """The fields a problem's ``errors`` name."""
    return {e["field"] for e in body.get("errors", [])}


def assert_problem(
    reply: Any,
    status: int,
    type_suffix: str | None = None,
    field: str | None = None,
    fields: Iterable[str] | None = None,
) -> dict:
    """Assert ``reply`` is a problem+json of ``status``, and return its body.

    Every problem has ``type`` (``/problems/…``), a ``title``, the same ``status`` and a
    ``detail``. ``type_suffix`` checks the end of ``type``; ``field`` and ``fields`` the
    exact set of fields its ``errors`` name (one field, or several).
    """
    got, content_type, body = _status_type_body(reply)
    assert got == status, (got, body)
    assert content_type == PROBLEM_JSON, content_type
    assert body["status"] == status and body["title"] and body["detail"], body
    assert body["type"].startswith("/problems/"), body["type"]
    if type_suffix is not None:
        assert body["type"].endswith(type_suffix), body["type"]
    if field is not None:
        assert error_fields(body) == {field}, body.get("errors")
    if fields is not None:
        assert error_fields(body) == set(fields), body.get("errors")
    return body
