"""Log lines are Powertools' JSON with the request's id and the caller's tenant as keys."""

from __future__ import annotations

import json
import logging

import pytest


@pytest.fixture
def log_lines():
    """What the "sitebook" logger writes, through the same JSON formatter as its own handler."""
    from chalicelib.observability import logger

    formatter = logger().registered_formatter
    lines: list[dict] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(json.loads(formatter.format(record)))
    logging.getLogger("sitebook").addHandler(handler)
    yield lines
    logging.getLogger("sitebook").removeHandler(handler)


def test_an_unhandled_error_is_logged_with_the_request_id_and_tenant(api, log_lines, monkeypatch):
    from chalicelib.services import customers

    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(customers, "get_customer", broken)

    reply = api.get("/v1/customers/c1")

    assert reply.status == 500
    [line] = [line for line in log_lines if line["level"] == "ERROR"]
    assert line["service"] == "sitebook" and "unhandled error" in line["message"]
    assert line["tenant_id"] == api.tenant
    assert line["request_id"] == reply.header("X-Request-Id")
    assert "the disk is on fire" in line["exception"]


def test_the_next_request_does_not_carry_the_previous_tenant(api, log_lines, monkeypatch):
    from chalicelib.services import customers

    def broken(*_args, **_kwargs):
        raise RuntimeError("again")

    monkeypatch.setattr(customers, "get_customer", broken)
    api.get("/v1/customers/c1")
    assert api.get("/v1/health", token=False).status == 200

    logging.getLogger("sitebook.api").info("after the public request")

    assert "tenant_id" not in log_lines[-1]
