"""Measures CPU and DynamoDB round trips per POST /v1/customers, in process against moto.

Usage: python bench/api_post_cost.py [--posts 20]

Runs the app as API Gateway would (chalice's test client and devstack's gateway) against
moto in process, three times in one run: with the connections PynamoDB makes by itself (one
per model class, and a new one, so a new botocore session and client, per transaction: the
code before this bench), as the store makes them now (one per process) with reference data
read on every POST (REFERENCE_CACHE_SECONDS=0, as before issue 12.5), and with it kept per
warm process (the default). DynamoDB requests are
counted by a botocore event hook that every client inherits; the CPU of moto's side of each
request is measured apart and taken out, leaving the API's own. Never passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

calls: Counter = Counter()
moto_cpu = [0.0]


def count_call(model, **_) -> None:
    calls[model.name] += 1


@contextmanager
def connections_as_before():
    """A new Connection per transaction and per model class, as the store made them."""
    from pynamodb.connection import Connection
    from pynamodb.models import Model

    from chalicelib.settings import get_settings
    from chalicelib.store import base, records

    def per_transaction() -> Connection:
        settings = get_settings()
        return Connection(region=settings.region, host=settings.aws_endpoint_url)

    saved = records.connection, base.TableModel.__dict__["_get_connection"]
    records.connection = per_transaction
    base.TableModel._get_connection = classmethod(Model._get_connection.__func__)
    base.unbind()
    try:
        yield
    finally:
        records.connection = saved[0]
        base.TableModel._get_connection = saved[1]
        base.unbind()


def measure(posts: int, http, token: str) -> tuple[list[float], list[int]]:
    """CPU ms (the API's, moto's taken out) and DynamoDB calls of each POST."""
    cpu, trips = [], []
    for _ in range(posts):
        calls.clear()
        moto_cpu[0] = 0.0
        started = time.process_time()
        reply = http.request(
            "POST",
            "/v1/customers",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            body=f'{{"name": "Bench Customer {uuid.uuid4().hex}"}}'.encode(),
        )
        assert reply.status_code == 201, reply.body
        cpu.append((time.process_time() - started - moto_cpu[0]) * 1000)
        trips.append(sum(calls.values()))
    return cpu, trips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=20)
    args = parser.parse_args()

    import botocore.handlers

    # Every botocore session copies these handlers into each client it makes.
    botocore.handlers.BUILTIN_HANDLERS.append(("before-call.dynamodb", count_call))
    from moto import mock_aws
    from moto.core import botocore_stubber

    real_stub = botocore_stubber.BotocoreStubber.__call__

    def timed_stub(self, *a, **kw):
        started = time.process_time()
        try:
            return real_stub(self, *a, **kw)
        finally:
            moto_cpu[0] += time.process_time() - started

    botocore_stubber.BotocoreStubber.__call__ = timed_stub

    from in_process import in_process_environment  # beside this script (sys.path[0])

    from devstack.keys import mint_token

    private, public = in_process_environment(
        TABLE_NAME="sitebook-bench", BUCKET_NAME="sitebook-bench"
    )
    with mock_aws():
        from chalice.config import Config
        from chalice.test import TestHTTPClient

        from app import app
        from chalicelib import aws
        from chalicelib.settings import reset_settings
        from chalicelib.store.base import unbind
        from devstack.gateway import ProblemLocalGateway
        from devstack.resources import StackNames, create_stack

        reset_settings()
        aws.reset_clients()
        unbind()
        names = StackNames.for_stage("bench")
        stack = create_stack(
            names, dynamodb=aws.client("dynamodb"), s3=aws.client("s3"), sqs=aws.client("sqs")
        )
        os.environ["IMPORT_QUEUE_URL"] = stack.queue_url
        reset_settings()
        config = Config.create(chalice_stage="test", app_name="sitebook", project_dir=str(ROOT))
        http = TestHTTPClient(app, config)
        http._local_gateway = ProblemLocalGateway(app, config)

        results = {}
        for label in ("before", "uncached", "after"):
            tenant = f"bench-{uuid.uuid4().hex[:6]}"
            token = mint_token(tenant=tenant, role="admin", private_key=private.read_text())
            os.environ["REFERENCE_CACHE_SECONDS"] = "5" if label == "after" else "0"
            reset_settings()
            if label == "before":
                with connections_as_before():
                    measure(1, http, token)  # a warm process: first-use costs aside
                    results[label] = measure(args.posts, http, token)
            else:
                measure(1, http, token)
                results[label] = measure(args.posts, http, token)

    print(f"POST /v1/customers, {args.posts} posts each, in process against moto (moto's CPU out)")
    print(f"  {'':<44}{'CPU ms p50':>12}{'CPU ms max':>12}{'round trips':>13}")
    titles = {
        "before": "a connection per transaction, no cache",
        "uncached": "one connection per process, no cache",
        "after": "one connection, reference data cached",
    }
    for label, (cpu, trips) in results.items():
        print(
            f"  {titles[label]:<44}{statistics.median(cpu):>12.1f}{max(cpu):>12.1f}"
            f"{statistics.median(trips):>13.0f}"
        )
    before, uncached, after = (
        statistics.median(results[k][0]) for k in ("before", "uncached", "after")
    )
    print(f"  CPU per POST, first row / last row: {before / after:.1f}x")
    print(f"  CPU per POST, without the cache / with it: {uncached / after:.1f}x")


if __name__ == "__main__":
    main()
