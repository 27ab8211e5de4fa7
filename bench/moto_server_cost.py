"""Measures what one small DynamoDB request costs over HTTP: moto's own server vs the local stack's.

Usage: python bench/moto_server_cost.py [--requests 600] [--clients 1 4]

Starts ``python -m devstack.moto_server --unpatched`` (moto as released, on its own server:
werkzeug's development server), ``--werkzeug`` (devstack's patch on that same server) and no
flag (the patch, moto's app served by waitress: the local stack's) on free ports, one after
the other, and sends each --requests GetItem calls of one
small item through boto3 from 1, then 4, client threads (one client, its connection pool
shared). Prints, per server and client count: requests a second, latency p50, and CPU ms per
request in the server process and in this (the client's) process. Both sides' CPU is what
the local stack's processes compete for on its two cores. Never passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(flags: list[str], requests: int, clients: list[int]) -> list[tuple]:
    """[(clients, requests/s, p50 seconds, server CPU s/request, client CPU s/request)]."""
    from devstack.run import free_port, wait_for

    port = free_port()
    args = [sys.executable, "-m", "devstack.moto_server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(
        args + flags,
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/moto-api/")
        db = boto3.client(
            "dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
            aws_access_key_id="bench", aws_secret_access_key="bench",
        )  # fmt: skip
        key = [{"AttributeName": "pk", "KeyType": "HASH"}]
        db.create_table(
            TableName="t", KeySchema=key, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )  # fmt: skip
        db.put_item(TableName="t", Item={"pk": {"S": "a"}, "v": {"S": "x" * 200}})
        process = psutil.Process(server.pid)

        def one(_: int) -> float:
            started = time.perf_counter()
            db.get_item(TableName="t", Key={"pk": {"S": "a"}})
            return time.perf_counter() - started

        rows = []
        for threads in clients:
            one(0)
            server_cpu, own_cpu = sum(process.cpu_times()[:2]), time.process_time()
            started = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                latencies = list(pool.map(one, range(requests)))
            wall = time.perf_counter() - started
            server_used = sum(process.cpu_times()[:2]) - server_cpu
            own_used = time.process_time() - own_cpu
            rows.append(
                (threads, requests / wall, statistics.median(latencies),
                 server_used / requests, own_used / requests)
            )  # fmt: skip
        return rows
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    print(f"load average before: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    servers = {
        "released, werkzeug": ["--unpatched"],
        "patched, werkzeug": ["--werkzeug"],
        "patched, waitress": [],
    }
    results = {name: measure(flags, args.requests, args.clients) for name, flags in servers.items()}
    print(f"\nGetItem of a 200-byte item, {args.requests} requests per row:")
    print(f"  {'server':<26}{'clients':>8}{'req/s':>8}{'p50 ms':>8}{'server CPU ms':>15}"
          f"{'client CPU ms':>15}")  # fmt: skip
    for name, rows in results.items():
        for threads, rate, p50, server_cpu, own_cpu in rows:
            print(f"  {name:<26}{threads:>8}{rate:>8.0f}{p50 * 1000:>8.1f}"
                  f"{server_cpu * 1000:>15.2f}{own_cpu * 1000:>15.2f}")  # fmt: skip
    base, new = results["patched, werkzeug"], results["patched, waitress"]
    print("  patched, waitress against patched, werkzeug:")
    for (threads, *_, b_server, b_own), (_, *_, n_server, n_own) in zip(base, new, strict=True):
        print(f"    {threads} client(s): server CPU {b_server / n_server:.2f}x less, "
              f"client CPU {b_own / n_own:.2f}x less")  # fmt: skip


if __name__ == "__main__":
    main()
