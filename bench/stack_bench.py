"""Measures a template import (then an export) through the real local stack over HTTP.

Usage: python bench/stack_bench.py [--customers N]   (default 2000; sites, contacts and
equipment add N/2 rows each, the same file as bench/import_bench.py). Starts moto, the API and
the queue pump as processes (devstack.run.LocalStack), uploads through the presigned POST,
polls the import until it ends, and samples the pump's resident memory with psutil meanwhile.
Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FINISHED = ("succeeded", "completed_with_errors", "failed")


class PeakRss:
    """Samples a process's resident set size every ``interval`` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def generate_file(path: str, customers: int) -> None:
    # import_bench sets in-process moto variables when imported: keep it in its own process.
    code = "import sys; from bench.import_bench import generate; generate(*sys.argv[1:2], "
    code += "int(sys.argv[2]))"
    subprocess.run([sys.executable, "-c", code, path, str(customers)], cwd=ROOT, check=True)


def say(text: str) -> None:
    print(text, flush=True)


def token(tenant: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "devstack.token", "--tenant", tenant, "--role", "admin"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


def wait_for(session: requests.Session, url: str, seconds: float = 1800) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        body = session.get(url, timeout=30).json()
        if body["status"] in FINISHED:
            return body
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} still {body['status']} after {seconds:.0f}s")
        time.sleep(0.2)


def main() -> None:
    from devstack.run import LocalStack, free_port

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument(
        "--export",
        action="store_true",
        help="then export the register and time it",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.xlsx")
        generate_file(path, args.customers)
        size = os.path.getsize(path)
        stack = LocalStack(api_port=free_port(), moto_port=free_port(), log_dir=folder)
        with stack:
            pump = next(p for p in stack.processes if "devstack.pump" in p.args)
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token('bench-stack')}"
            api = stack.api_url + "/v1"
            idle = psutil.Process(pump.pid).memory_info().rss
            with PeakRss(pump.pid) as rss:
                started = time.perf_counter()
                created = session.post(f"{api}/imports", json={"file_name": "bench.xlsx"}).json()
                form = created["upload"]
                with open(path, "rb") as handle:
                    requests.post(
                        form["url"], data=form["fields"], files={"file": handle}, timeout=300
                    ).raise_for_status()
                done = wait_for(session, f"{api}/imports/{created['id']}")
                elapsed = time.perf_counter() - started
            rows = done["rows_total"]
            say(f"file: {args.customers:,} customers + sites, contacts, equipment; "
                  f"{size / 2**20:.1f} MiB; {rows:,} rows")  # fmt: skip
            say(f"import over the local stack: {done['status']}, {rows:,} rows in "
                  f"{elapsed:.1f} s end to end = {rows / elapsed:,.0f} rows/s "
                  f"(API + presigned POST + S3 notification + SQS + pump + worker)")  # fmt: skip
            say(f"  counts: {done['counts']}; errors: {done['errors_total']}")
            say(f"pump RSS: idle {idle / 2**20:,.0f} MiB, peak during the import "
                  f"{rss.peak / 2**20:,.0f} MiB (psutil, sampled every 50 ms)")  # fmt: skip

            if not args.export:
                return
            with PeakRss(pump.pid) as rss:
                started = time.perf_counter()
                export = session.post(f"{api}/exports", json={}).json()
                done = wait_for(session, f"{api}/exports/{export['id']}")
                elapsed = time.perf_counter() - started
            written = sum(done["counts"].values())
            say(f"export over the local stack: {done['status']}, {written:,} rows in "
                  f"{elapsed:.1f} s = {written / elapsed:,.0f} rows/s; pump peak RSS "
                  f"{rss.peak / 2**20:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
