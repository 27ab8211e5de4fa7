"""Measures the CPU a request of each route costs the API and the moto server, in one process.

Usage: python bench/stack_cpu.py [--customers 2000] [--requests 10]

moto's server app (devstack's patch applied) runs in this process behind botocore's HTTP
layer (no sockets: each request goes straight into the server's WSGI app), with N
customers of one tenant stored as bench/stack_latency.py stores them. Each route runs
--requests times on one thread (a request's Queries one after another rather than on the
read threads, so every CPU second is counted) and prints CPU ms per request: in moto's
server, in the API (the rest), and DynamoDB requests per route. Side by side: the patch
without its server part (moto_patch.SERVER_PATCHES: routing, answering), without its
Query answer part (moto_patch.ANSWER_PATCHES: sizes, the page's copy, the answer's dicts)
and the whole patch, in the same run; the ratios are moto's CPU without each part over
the whole patch's. Wall time on a shared machine says little; CPU time is what the
processes compete for. Never passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from concurrent.futures import Future
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
MOTO_PORT = 5399  # named in the endpoint only: nothing listens, botocore's send is replaced


class _Serial:
    """The read threads' stand-in: runs each task on the calling thread, to count its CPU."""

    def map(self, fn, *iterables):
        return list(map(fn, *iterables))

    def submit(self, fn, *args, **kwargs) -> Future:
        done: Future = Future()
        done.set_result(fn(*args, **kwargs))
        return done


def serve_in_process() -> tuple[list[float], Counter]:
    """Route botocore's requests into moto's server app; (its CPU seconds, operations)."""
    import botocore.httpsession
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.test import Client

    server = Client(DomainDispatcherApplication(create_backend_app))
    spent, operations = [0.0], Counter()

    def send(_session, request):
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        operations[headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]] += 1
        url = urlsplit(request.url)
        started = time.process_time()
        reply = server.open(
            url.path + (f"?{url.query}" if url.query else ""),
            method=request.method,
            headers=headers,
            data=request.body,
        )
        body = reply.get_data()
        spent[0] += time.process_time() - started
        return AWSResponse(
            request.url, reply.status_code, dict(reply.headers), MockRawResponse(body)
        )

    botocore.httpsession.URLLib3Session.send = send
    return spent, operations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()

    from devstack import moto_patch
    from devstack.environment import local_environment

    os.environ.update(local_environment(moto_port=MOTO_PORT))
    moto_patch.apply()
    spent, operations = serve_in_process()

    from stack_latency import TENANT, store_customers

    from chalicelib import aws
    from chalicelib.services import customers
    from chalicelib.settings import reset_settings
    from chalicelib.store import base
    from devstack.resources import StackNames, create_stack

    names = StackNames(os.environ["TABLE_NAME"], os.environ["BUCKET_NAME"], "bench-imports")
    create_stack(names, dynamodb=aws.client("dynamodb"), s3=aws.client("s3"), sqs=aws.client("sqs"))
    reset_settings()
    ids = store_customers(args.customers)
    base._pool = _Serial()  # noqa: SLF001 - the bench counts every Query on this thread
    rng = random.Random(1)
    routes = {
        "GET /v1/customers/{id}": lambda: customers.get_customer(TENANT, rng.choice(ids)),
        "GET /v1/customers?q=00nn": lambda: customers.find_customers(
            TENANT, f"00{rng.randrange(2, 100):02d}", status="active", limit=25, cursor=None
        ),
        # Half the customers' numbers start 0000 at 20,000: too broad, the names are walked.
        "GET /v1/customers?q=0000": lambda: customers.find_customers(
            TENANT, "0000", status="active", limit=25, cursor=None
        ),
        "POST /v1/customers": lambda: customers.create_customer(
            TENANT, {"name": f"Bench Client {rng.randrange(10**9)}"}, None
        ),
    }
    engines = {
        "without server patches": moto_patch.SERVER_PATCHES,
        "without answer patches": moto_patch.ANSWER_PATCHES,
        "whole patch": None,
    }
    results: dict[str, dict[str, tuple[float, float, float]]] = {}
    for engine, taken_out in engines.items():
        moto_patch.remove()
        moto_patch.apply()
        if taken_out:
            moto_patch.remove(taken_out)
        results[engine] = {}
        for route, request in routes.items():
            request()  # first use: lazy imports, sorted partitions
            spent[0], started = 0.0, time.process_time()
            operations.clear()
            for _ in range(args.requests):
                request()
            total = (time.process_time() - started) * 1000 / args.requests
            moto = spent[0] * 1000 / args.requests
            calls = sum(operations.values()) / args.requests
            results[engine][route] = (moto, total - moto, calls)
    print(f"\n{args.customers:,} customers, CPU ms per request (moto server / API), one thread:")
    print(f"  {'route':<28}" + "".join(f"{e:>26}" for e in engines) + "  moto ratios  requests")
    for route in routes:
        cells = [f"{results[e][route][0]:>9.1f} / {results[e][route][1]:>6.1f}" for e in engines]
        moto = results["whole patch"][route][0]
        ratios = " ".join(f"{results[e][route][0] / moto:.1f}x" for e in engines if engines[e])
        calls = results["whole patch"][route][2]
        print(f"  {route:<28}" + "".join(f"{c:>26}" for c in cells) + f"{ratios:>13}{calls:>10.1f}")


if __name__ == "__main__":
    main()
