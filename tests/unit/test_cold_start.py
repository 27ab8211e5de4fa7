"""Importing app.py (every API Lambda's cold start) loads no library a route needs only later."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each loads with the first request that needs it (chalicelib/lazy.py, function-level imports).
DEFERRED = (
    "openpyxl",  # workbooks: imports and exports only
    "pydantic",  # request schemas: the first body validated or the OpenAPI document
    "email_validator",
    "phonenumbers",
    "rapidfuzz",  # column suggestions of own-format imports
    "jwt",  # the authorizer's first token
    "cryptography",
    "pynamodb.models",  # the store: the first request that reads or writes
    "aws_lambda_powertools.utilities.idempotency",
    "chalicelib.store.customers",
    "chalicelib.imports.worker",
    "chalicelib.events.delivery",
    "aws_lambda_powertools.logging",  # the first handler call sets up the JSON logger
    "aws_lambda_powertools.metrics",
)


def modules_after_importing_app() -> set[str]:
    code = "import json, sys, app; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "ap-southeast-2"}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(run.stdout))


def test_importing_the_app_loads_no_library_that_a_route_uses_only_when_called():
    loaded = modules_after_importing_app()
    assert "chalicelib.api.customers" in loaded  # the routes themselves are declared
    assert [name for name in DEFERRED if name in loaded] == []
