"""Measures a template import end to end on the local stack, against a bare read of the same file.

Usage: python bench/import_bench.py [--customers N] [--reimport] [--export]
(default 100,000 customers; sites, contacts and equipment add N/2 rows each: 250,000 rows).

Generates the file and times a bare openpyxl read_only pass over it; then starts moto, the API
and the queue pump as processes (devstack.run.LocalStack), imports the file over HTTP (API,
presigned POST, S3 notification, SQS, pump, worker) and polls it to its end, sampling the
pump's resident memory with psutil meanwhile. The pump logs each message it handles with the
DynamoDB requests the worker made; the bench sums the lines of the import's messages (a large
import continues in follow-on messages). Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FINISHED = ("succeeded", "completed_with_warnings", "completed_with_errors", "failed")
WAIT_SECONDS = 3 * 3600


def generate(path: str, customers: int) -> None:
    """A filled template: customers, sites billed to them, contacts and equipment of sites."""
    from chalicelib.imports.template import write_filled_template

    half = customers // 2
    write_filled_template(
        path,
        {
            "customers": (
                {
                    "Customer Name": f"Customer {n:07d}",
                    "Import ID": f"C-{n}",
                    "Email": f"accounts@customer{n}.example",
                    # one number each: a shared one would warn every row as a duplicate
                    "Phone": f"03 9{n % 10**7:07d}",
                    "Customer Type": ("Residential", "Commercial", "Strata")[n % 3],
                    "Site Address Line 1": f"{n} Main Road",
                    "Site Suburb": "Carlton",
                    "Site State": "VIC",
                    "Site Postcode": "3053",
                }
                for n in range(customers)
            ),
            "sites": (
                {
                    "Customer Name": f"Site {n:07d}",
                    "Billing Customer": f"C-{n}",
                    "Site Address Line 1": f"{n} Side Street",
                    "Site Suburb": "Fitzroy",
                    "Site Postcode": "3065",
                }
                for n in range(half)
            ),
            "contacts": (
                {
                    "Customer Import ID or Name": f"Customer {n:07d}",
                    "First Name": "Pat",
                    "Last Name": f"Contact{n}",
                    "Mobile": "0412 345 678",
                    "Role": "Owner",
                }
                for n in range(half)
            ),
            "equipment": (
                {
                    "Customer Import ID or Name": f"Site {n:07d}",
                    "Equipment Number": f"EQ-{n}",
                    "Equipment Name": "Split system",
                    "Equipment Type": "Air conditioner",
                    "Installation Date": "2021-03-04",
                }
                for n in range(half)
            ),
        },
    )


def bare_read(path: str) -> tuple[int, float]:
    """Rows and seconds of a plain openpyxl read_only, values_only pass over every sheet."""
    import openpyxl

    started = time.perf_counter()
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = 0
    for sheet in book.worksheets:
        for _ in sheet.iter_rows(min_row=2, values_only=True):
            rows += 1
    book.close()
    return rows, time.perf_counter() - started


def raised_limits(path: str, rows: int) -> dict[str, str]:
    """The local stage's import limits that this file exceeds, raised to fit it."""
    from devstack.environment import stage_environment

    stage = stage_environment("local")
    with zipfile.ZipFile(path) as archive:
        unzipped = sum(entry.file_size for entry in archive.infolist())
    needed = {
        "MAX_IMPORT_ROWS": rows,
        "MAX_UPLOAD_BYTES": os.path.getsize(path),
        "MAX_UNCOMPRESSED_BYTES": unzipped,
    }
    return {name: str(n) for name, n in needed.items() if n > int(stage[name])}


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


class CpuShare:
    """Each local process's CPU time over a span, as a share of one core."""

    def __init__(self, stack) -> None:
        self.processes = {name: psutil.Process(stack.process(name).pid) for name in stack.commands}

    def __enter__(self) -> CpuShare:
        self._started = time.perf_counter()
        self._cpu = {name: self._seconds(p) for name, p in self.processes.items()}
        return self

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self._started
        self.shares = {
            name: (self._seconds(p) - self._cpu[name]) / wall for name, p in self.processes.items()
        }

    @staticmethod
    def _seconds(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    def describe(self) -> str:
        return ", ".join(f"{name} {share:.0%}" for name, share in self.shares.items())


@dataclass
class Run:
    """One import over the stack, as the bench measured it."""

    done: dict
    seconds: float
    planning_seconds: float | None  # upload to plan stored (read, resolve, match, validate)
    idle_rss: int
    peak_rss: int
    cpu: str
    messages: list[tuple[str, float, Counter]]

    @property
    def requests(self) -> Counter:
        return sum((counts for _, _, counts in self.messages), Counter())


def say(text: str) -> None:
    print(text, flush=True)


def token(tenant: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "devstack.token", "--tenant", tenant, "--role", "admin"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


def wait_for(
    session: requests.Session,
    url: str,
    seconds: float = WAIT_SECONDS,
    first_seen: dict[str, float] | None = None,
) -> dict:
    """Poll until finished; ``first_seen`` gets when each status (and "writing") was first seen."""
    deadline = time.monotonic() + seconds
    while True:
        body = session.get(url, timeout=60).json()
        if first_seen is not None:
            # Counts are stored with the plan (rows_total earlier, after the first pass): from
            # then on the worker writes.
            writing = body["status"] == "running" and any(body.get("counts") or {})
            first_seen.setdefault("writing" if writing else body["status"], time.perf_counter())
        if body["status"] in FINISHED:
            return body
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} still {body['status']} after {seconds:.0f}s")
        time.sleep(0.5)


def wait_queue_empty(stack, seconds: float = 120) -> None:
    """Until the pump has deleted every message (it logs a message's line before deleting it)."""
    from chalicelib.aws import client

    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = client("sqs").get_queue_attributes(
            QueueUrl=stack.env["IMPORT_QUEUE_URL"], AttributeNames=names
        )["Attributes"]
        if all(int(got[name]) == 0 for name in names):
            return
        time.sleep(0.5)
    raise RuntimeError("the import queue did not drain")


def import_over_stack(stack, session: requests.Session, path: str, name: str) -> Run:
    from devstack.pump import read_reports

    api = stack.api_url + "/v1"
    pump_log = Path(stack.log_dir) / "pump.log"
    pump = stack.process("pump")
    wait_queue_empty(stack)  # e.g. S3's test event from setting up the notification
    log_offset = pump_log.stat().st_size
    idle = psutil.Process(pump.pid).memory_info().rss
    with PeakRss(pump.pid) as rss, CpuShare(stack) as cpu:
        started = time.perf_counter()
        created = session.post(f"{api}/imports", json={"file_name": name}, timeout=60)
        created.raise_for_status()
        form = created.json()["upload"]
        with open(path, "rb") as handle:
            requests.post(
                form["url"], data=form["fields"], files={"file": handle}, timeout=600
            ).raise_for_status()
        first_seen: dict[str, float] = {}
        done = wait_for(session, f"{api}/imports/{created.json()['id']}", first_seen=first_seen)
        seconds = time.perf_counter() - started
    planning = first_seen["writing"] - started if "writing" in first_seen else None
    wait_queue_empty(stack)
    with open(pump_log, encoding="utf-8") as log:
        log.seek(log_offset)
        messages = read_reports(log.read())
    return Run(done, seconds, planning, idle, rss.peak, cpu.describe(), messages)


def print_import(title: str, run: Run, bare_rate: float | None) -> None:
    done, rows = run.done, run.done["rows_total"]
    rate = rows / run.seconds
    say(f"{title}: {done['status']}, {rows:,} rows in {run.seconds:,.1f} s end to end = "
        f"{rate:,.0f} rows/s")  # fmt: skip
    say("  (API, presigned POST, S3 notification, SQS, pump, worker; polled every 0.5 s)")
    say(f"  counts: {done['counts']}; errors: {done['errors_total']}")
    if done["errors"]:
        say(f"  first error: {done['errors'][0]}")
    if run.planning_seconds is not None:
        writing = run.seconds - run.planning_seconds
        say(f"  upload to plan stored (read, resolve, match, link, validate, results) "
            f"{run.planning_seconds:,.1f} s; writes {writing:,.1f} s = "
            f"{rows / writing:,.0f} rows/s (polled: ±0.5 s)")  # fmt: skip
    handled = " + ".join(f"{seconds:,.1f}" for _, seconds, _ in run.messages)
    say(f"  pump messages: {len(run.messages)}, handler seconds {handled}")
    if bare_rate:
        say(f"ratio import/bare read: {rate / bare_rate:.4f} "
            f"(the bare read is {bare_rate / rate:,.1f}x faster)")  # fmt: skip
    say(f"pump (worker) RSS: idle {run.idle_rss / 2**20:,.0f} MiB, peak during the import "
        f"{run.peak_rss / 2**20:,.0f} MiB (psutil, sampled every 50 ms)")  # fmt: skip
    say(f"CPU during the import, share of one core: {run.cpu} ({psutil.cpu_count()} cores)")
    total = sum(run.requests.values())
    say(f"DynamoDB requests (worker, from the pump's log): {total:,} = {total / rows:.3f} per "
        "row; " + ", ".join(f"{op} {n:,}" for op, n in run.requests.most_common()))  # fmt: skip


def export_over_stack(stack, session: requests.Session) -> None:
    api = stack.api_url + "/v1"
    with PeakRss(stack.process("pump").pid) as rss:
        started = time.perf_counter()
        export = session.post(f"{api}/exports", json={}, timeout=60).json()
        done = wait_for(session, f"{api}/exports/{export['id']}")
        elapsed = time.perf_counter() - started
    written = sum(done["counts"].values())
    say(f"export over the local stack: {done['status']}, {written:,} rows in {elapsed:.1f} s = "
        f"{written / elapsed:,.0f} rows/s; pump peak RSS {rss.peak / 2**20:,.0f} MiB")  # fmt: skip


def main() -> None:
    from devstack.run import LocalStack, free_port

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--reimport",
        action="store_true",
        help="import the same file again: every row unchanged (small N only: each of its "
        "per-customer Queries walks moto's whole table)",
    )
    parser.add_argument(
        "--export",
        action="store_true",
        help="then export the register (small N only: each per-customer Query walks the table)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.xlsx")
        started = time.perf_counter()
        generate(path, args.customers)
        rows = args.customers + 3 * (args.customers // 2)
        say(f"file: {args.customers:,} customers + sites, contacts, equipment = {rows:,} rows; "
            f"{os.path.getsize(path) / 2**20:.1f} MiB; generated in "
            f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        bare_rows, bare_seconds = bare_read(path)
        bare_rate = bare_rows / bare_seconds
        say(f"bare openpyxl read_only pass: {bare_rows:,} rows in {bare_seconds:.1f} s = "
            f"{bare_rate:,.0f} rows/s")  # fmt: skip
        limits = raised_limits(path, rows)
        if limits:
            say("limits raised for the bench: " + ", ".join(f"{k}={v}" for k, v in limits.items()))

        stack = LocalStack(
            api_port=free_port(), moto_port=free_port(), log_dir=folder, env_overrides=limits
        )
        with stack:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token('bench')}"
            print_import(
                "import over the local stack",
                import_over_stack(stack, session, path, "bench.xlsx"),
                bare_rate,
            )
            if args.reimport:
                again = import_over_stack(stack, session, path, "again.xlsx")
                unchanged = sum(c["unchanged"] for c in again.done["counts"].values())
                print_import(f"re-import ({unchanged:,} rows unchanged)", again, None)
            if args.export:
                export_over_stack(stack, session)


if __name__ == "__main__":
    main()
