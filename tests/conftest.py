"""Shared test setup: a dev key pair for the session and token minting."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# No test may reach real AWS: fake credentials before anything builds a client.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ["AWS_DEFAULT_REGION"] = "ap-southeast-2"


@pytest.fixture(scope="session")
def key_pair(tmp_path_factory):
    from devstack.keys import ensure_key_pair

    folder = tmp_path_factory.mktemp("keys")
    private, public = ensure_key_pair(folder / "key.pem", folder / "key.pub.pem")
    return private.read_text(), public


@pytest.fixture(scope="session")
def mint(key_pair):
    """mint(tenant, role="admin", user=None, **kw) -> a signed bearer token."""
    from devstack.keys import mint_token

    private, _ = key_pair

    def _mint(tenant: str = "acme", role: str = "admin", user: str | None = None, **kw) -> str:
        return mint_token(tenant=tenant, role=role, user=user, private_key=private, **kw)

    return _mint
