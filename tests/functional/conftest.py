"""Functional tests: the app through its local gateway, against moto in process."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws

from devstack import moto_patch
from tests.conftest import ROOT

# The same DynamoDB engine as the local stack's moto server (devstack/moto_server.py).
moto_patch.apply()


@pytest.fixture
def aws(monkeypatch, key_pair):
    """moto in process with the stack of infra/resources.json; settings and clients re-bound."""
    from chalicelib import aws as aws_clients
    from chalicelib.services.tenants import forget_ready_tenants
    from chalicelib.settings import reset_settings
    from chalicelib.store.base import unbind
    from devstack.resources import StackNames, create_stack

    names = StackNames.for_stage("test")
    _, public = key_pair
    env = {
        "STAGE": "test",
        "TABLE_NAME": names.table,
        "BUCKET_NAME": names.bucket,
        "AUTH_PUBLIC_KEY_FILE": str(public),
        "AUTH_ISSUER": "sitebook-local",
        "AUTH_AUDIENCE": "sitebook-local",
        "AWS_REGION": "ap-southeast-2",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AUTH_JWKS_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        reset_settings()
        aws_clients.reset_clients()
        unbind()
        forget_ready_tenants()
        stack = create_stack(
            names,
            dynamodb=aws_clients.client("dynamodb"),
            s3=aws_clients.client("s3"),
            sqs=aws_clients.client("sqs"),
        )
        monkeypatch.setenv("IMPORT_QUEUE_URL", stack.queue_url)
        monkeypatch.setenv("IMPORT_DLQ_URL", stack.dead_letter_queue_url)
        reset_settings()
        yield stack
        reset_settings()
        aws_clients.reset_clients()
        unbind()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def content_type(self) -> str:
        return {k.lower(): v for k, v in self.headers.items()}.get("content-type", "")

    def header(self, name: str) -> str | None:
        return {k.lower(): v for k, v in self.headers.items()}.get(name.lower())


class Api:
    """Calls the app as API Gateway would; ``as_`` picks the caller's token."""

    def __init__(self, mint, tenant: str, role: str = "admin") -> None:
        from chalice.config import Config
        from chalice.test import TestHTTPClient

        from app import app
        from devstack.gateway import ProblemLocalGateway

        self._mint = mint
        self.tenant = tenant
        self.token = mint(tenant, role)
        config = Config.create(chalice_stage="test", app_name="sitebook", project_dir=str(ROOT))
        self._http = TestHTTPClient(app, config)
        self._http._local_gateway = ProblemLocalGateway(app, config)

    def as_(self, tenant: str | None = None, role: str = "admin", user: str | None = None) -> Api:
        other = Api.__new__(Api)
        other.__dict__.update(self.__dict__)
        other.tenant = tenant or self.tenant
        other.token = self._mint(other.tenant, role, user)
        return other

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        headers: dict | None = None,
        raw: bytes | None = None,
        token: str | None | bool = True,
    ) -> Reply:
        sent = (
            {"Content-Type": "application/json"}
            if (json_body is not None or raw is not None)
            else {}
        )
        if token is True:
            sent["Authorization"] = f"Bearer {self.token}"
        elif isinstance(token, str):
            sent["Authorization"] = token if token.startswith("Bearer") else f"Bearer {token}"
        sent.update(headers or {})
        body = (
            raw
            if raw is not None
            else (json.dumps(json_body).encode() if json_body is not None else b"")
        )
        response = self._http.request(method, path, headers=sent, body=body)
        return Reply(response.status_code, dict(response.headers), response.body or b"")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api(aws, mint) -> Api:
    """An admin of a fresh tenant whose lists start empty: marked provisioned without the
    default lookups, as a tenant from before provisioning is, so tests own every name."""
    from chalicelib.services.tenants import ensure_tenant_ready
    from chalicelib.store.tenants import mark_provisioned

    tenant = f"t-{uuid.uuid4().hex[:10]}"
    mark_provisioned(tenant)
    ensure_tenant_ready(tenant)  # remembered: the tests' requests pay no marker read
    return Api(mint, tenant)


@pytest.fixture
def newcomer(aws, mint) -> Api:
    """An admin of a tenant that has never been seen: its first request provisions it."""
    return Api(mint, f"t-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def staff(api) -> Api:
    return api.as_(role="staff")


@pytest.fixture
def events_env(aws, monkeypatch):
    """The stack plus the webhook queues in the environment; the feed shows events at once."""
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("WEBHOOK_QUEUE_URL", aws.webhook_queue_url)
    monkeypatch.setenv("WEBHOOK_DLQ_URL", aws.webhook_dead_letter_queue_url)
    monkeypatch.setenv("EVENTS_SETTLE_SECONDS", "0")
    reset_settings()
    return aws


@pytest.fixture
def acme(events_env, mint) -> Api:
    """An admin of 'acme', the tenant of the recorded stream events (tests/events/stream_*)."""
    from chalicelib.store.tenants import mark_provisioned

    mark_provisioned("acme")
    return Api(mint, "acme")
