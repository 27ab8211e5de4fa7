"""schemathesis against /v1/openapi.json on the local stack: no 5xx, answers as documented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.e2e.conftest import make_token

# Small enough for a run under three minutes on two cores; the seed makes CI repeatable.
MAX_EXAMPLES = 5
SEED = 14
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)


def test_the_api_answers_generated_requests_as_its_openapi_document_says(stack, tenant):
    cli = Path(sys.executable).parent / "schemathesis"
    run = subprocess.run(
        [
            str(cli),
            "run",
            f"{stack.api_url}/v1/openapi.json",
            "--url",
            stack.api_url,
            "--header",
            f"Authorization: Bearer {make_token(tenant)}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--max-time",
            "150",
            # A loaded CI machine (two cores, the stack and the fuzzer) answers slowly at times:
            # a slow answer is not what this test looks for; a wrong one is.
            "--request-timeout",
            "30",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    # A run that generated nothing would pass vacuously: the summary must count test cases.
    summary = re.search(r"(\d+) generated", run.stdout)
    assert summary and int(summary.group(1)) > 0, report
    print(report[-1500:])
