"""End-to-end tests: the local stack as `make run` starts it, over HTTP, with `make token`."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import requests

from tests.conftest import ROOT


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    from devstack.run import LocalStack, free_port

    logs = tmp_path_factory.mktemp("stack-logs")
    # A killed pump's message returns after 5 s (a lease), not after the queue's 90 minutes.
    local = LocalStack(
        api_port=free_port(), moto_port=free_port(), log_dir=str(logs), pump_lease_seconds=5
    )
    local.start()
    yield local
    local.stop()


def make_token(tenant: str, role: str = "admin") -> str:
    """Exactly what `make token TENANT=… ROLE=…` runs."""
    out = subprocess.run(
        [sys.executable, "-m", "devstack.token", "--tenant", tenant, "--role", role],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


class Http:
    def __init__(self, base: str, token: str | None) -> None:
        self.base = base
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method: str):
        def call(path: str, **kw):
            return self.session.request(method.upper(), self.base + path, timeout=30, **kw)

        return call


@pytest.fixture
def tenant() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def admin(stack, tenant) -> Http:
    return Http(stack.api_url, make_token(tenant))


@pytest.fixture
def anonymous(stack) -> Http:
    return Http(stack.api_url, None)


@pytest.fixture
def demo(stack) -> Http:
    return Http(stack.api_url, make_token("demo"))
