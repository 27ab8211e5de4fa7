"""Measures a template import against bare reads of the same file: planning, items, writes.

Usage: python bench/import_bench.py [--customers N] [--plan-only | --stack [--reimport] [--export]]
(default 10,000 customers; sites, contacts and equipment add N/2 rows each: 25,000 rows).

Generates the file; reads it bare with openpyxl (read_only, values) and with python-calamine,
each in a fresh interpreter so each peak RSS is its own; then runs the import as the worker
does, in this process against moto in process: the upload, the worker's dispatch of the S3
message and of its follow-ons from the queue, to the import's end. Wrapping the worker's seams
(never changing them) gives planning's time by stage (read, safety checks, validate (the
domain's prepare_*), write keys (what orders the rows), spool, and the rest: match, link,
ledger, results), the time the write stage takes to build the items from the stored plan's
records (with --plan-only the bench builds them from the stored plan itself), the
items and write units per row kind, the largest partition key's share of the items, the
process's peak RSS while planning, and the end-to-end rate with the write concurrency used.
Ratios are taken within one run.

``--stack`` instead imports over the local stack (moto server, API, pump as processes,
devstack.run.LocalStack) over HTTP and polls it to its end, sampling the pump's RSS.
Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
from item_size import item_size  # beside this script (sys.path[0])

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


# -- bare reads (each in a child process, so its peak RSS is its own) ------------------------


def bare_calamine(path: str) -> tuple[int, float]:
    """Rows and seconds of a plain python-calamine pass over every sheet."""
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    book = CalamineWorkbook.from_path(path)
    rows = 0
    for name in book.sheet_names:
        for _ in book.get_sheet_by_name(name).iter_rows():
            rows += 1
    book.close()
    return rows - len(book.sheet_names), time.perf_counter() - started


BARE_READERS = {"openpyxl": bare_read, "calamine": bare_calamine}


def bare_in_child(reader: str, path: str) -> dict:
    """One bare read in a fresh interpreter: rows, seconds and that process's peak RSS."""
    out = subprocess.run(
        [sys.executable, __file__, "--bare", reader, path],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def _bare_main(reader: str, path: str) -> None:
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rows, seconds = BARE_READERS[reader](path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss": peak, "baseline": baseline}))


# -- the worker in process, against moto in process ------------------------------------------


class Stages:
    """Seconds spent per stage of planning, gathered by wrapping the worker's seams."""

    def __init__(self) -> None:
        self.seconds: Counter = Counter()

    def add(self, stage: str, started: float) -> None:
        self.seconds[stage] += time.perf_counter() - started

    def timed(self, stage: str, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(stage, started)

        return run

    def timed_iter(self, stage: str, iterator):
        iterator = iter(iterator)
        while True:
            started = time.perf_counter()
            try:
                value = next(iterator)
            except StopIteration:
                self.add(stage, started)
                return
            self.add(stage, started)
            yield value


class CountingWriter:
    """The worker's record writer, its item building (the write stage's) and its write keys
    (planning's) timed, and its items counted per kind."""

    def __init__(self, writer, stages: Stages) -> None:
        self._writer, self._stages = writer, stages
        self.items: Counter = Counter()  # row kind → items
        self.rows: Counter = Counter()  # row kind → rows written
        self.units: Counter = Counter()  # row kind → write units
        self.partitions: Counter = Counter()  # pk → items

    def __getattr__(self, name: str):
        attribute = getattr(self._writer, name)
        if name == "write_keys":
            return self._stages.timed("write keys", attribute)
        if not name.endswith("_writes"):
            return attribute

        def build(tenant_id, record, previous, **kwargs):
            started = time.perf_counter()
            writes = attribute(tenant_id, record, previous, **kwargs)
            self._stages.add("build items", started)
            kind = name.removesuffix("_writes")
            if kind == "customer" and (record.get("billing") or {}).get("billing_customer_id"):
                kind = "site"
            self.rows[kind] += 1
            started = time.perf_counter()
            for request in writes:
                # TransactWriteItems entries ("Put"), or BatchWriteItem requests ("PutRequest")
                item = (request.get("Put") or request.get("PutRequest") or {}).get("Item")
                if item is None:
                    continue
                self.items[kind] += 1
                self.units[kind] += -(-item_size(item) // 1024) * (2 if "Put" in request else 1)
                self.partitions[item["pk"]["S"]] += 1
            self._stages.add("counting", started)  # the bench's own, in the write stage
            return writes

        return build


class TimedRules:
    """The worker's validation rules (the API's own prepare_customer, _contact, _equipment),
    their time counted as the "validate" stage."""

    def __init__(self, rules, stages: Stages) -> None:
        self._rules, self._stages = rules, stages

    def __getattr__(self, name: str):
        attribute = getattr(self._rules, name)
        if not name.startswith("prepare_"):
            return attribute
        return self._stages.timed("validate", attribute)


@dataclass
class InProcess:
    """One import run by the worker in this process, as the bench measured it."""

    status: str
    rows: int
    planning_seconds: float
    seconds: float | None  # None: --plan-only
    invocations: int
    stages: Counter
    writer: CountingWriter
    planning_peak_rss: int
    baseline_rss: int
    concurrency: int
    bookkeeping: Bookkeeping


class Bookkeeping:
    """The sizes of the import's bookkeeping updates while it writes, seen in moto's
    UpdateItem (in process): each group count on the counter item with the record's size at
    that moment (what the same count cost when it updated the record, before the counter), and
    each update of the record itself. DynamoDB charges an update 1 WCU per started KB of the
    larger of the item before and after; moto's ConsumedCapacity for UpdateItem is a constant
    1, so units are computed from the sizes here."""

    # What the record held of the counts before the counter (its size then: record + these).
    MOVED = ("parts", "groups_done", "levels_queued", "level_queuer", "finisher")

    def __init__(self, tenant: str, import_id: str) -> None:
        self.key = (f"{tenant}#IMPORT", import_id)
        self.counts: list[tuple[int, int]] = []  # (counter bytes, record + moved bytes)
        self.record_updates: list[int] = []  # record bytes after each update while writing

    def install(self, restore: list) -> None:
        from moto.dynamodb.models import DynamoDBBackend

        update_item = DynamoDBBackend.update_item
        watch = self

        def watched(backend, table_name, key, update_expression, *args, **kwargs):
            updated = update_item(backend, table_name, key, update_expression, *args, **kwargs)
            pk, sk = key["pk"]["S"], key["sk"]["S"]
            if pk == watch.key[0] and sk.startswith(watch.key[1]):
                watch.seen(backend, table_name, sk, update_expression, updated)
            return updated

        restore.append((DynamoDBBackend, "update_item", update_item))
        DynamoDBBackend.update_item = watched

    def seen(self, backend, table_name: str, sk: str, expression: str, updated) -> None:
        attributes = updated.to_json()["Attributes"]
        if sk != self.key[1]:  # the counter
            if "ADD groups_done" in expression:
                record = backend.get_item(
                    table_name, {"pk": {"S": self.key[0]}, "sk": {"S": self.key[1]}}
                ).to_json()["Attributes"]
                moved = {k: v for k, v in attributes.items() if k in self.MOVED}
                self.counts.append((item_size(attributes), item_size({**record, **moved})))
        elif "batches_total" in attributes and attributes["status"]["S"] == "running":
            self.record_updates.append(item_size(attributes))  # planned, not finished: writing

    def describe(self) -> list[str]:
        def units(size: int) -> int:
            return max(1, -(-size // 1024))

        lines = []
        if self.counts:
            after = [units(c) for c, _ in self.counts]
            before = [units(r) for _, r in self.counts]
            lines.append(
                f"group counts on the counter item: {len(after)}; counter "
                f"{max(c for c, _ in self.counts):,} B at most = {sum(after) / len(after):.1f} "
                f"WCU a count; before (the same count on the import record, "
                f"{min(r for _, r in self.counts) / 1024:,.1f}–"
                f"{max(r for _, r in self.counts) / 1024:,.1f} KB then) "
                f"{sum(before) / len(before):.1f} WCU a count: {sum(before):,} WCU → {sum(after):,}"
            )
        if self.record_updates:
            sizes = self.record_updates
            lines.append(
                f"import record updated {len(sizes)} times while writing, "
                f"{max(sizes) / 1024:,.1f} KB at most = "
                f"{sum(units(s) for s in sizes) / len(sizes):.1f} WCU each"
            )
        return lines


def _instrument(monkeypatch_targets: list, stages: Stages) -> None:
    """Wrap the worker's seams so each stage's time is counted (module attributes, restored by
    the caller from ``monkeypatch_targets``)."""
    import gzip
    import types

    from chalicelib.imports import worker
    from chalicelib.imports.read import analyse
    from chalicelib.imports.write import checkpoints
    from chalicelib.xlsx import safety

    def swap(module, name, value):
        monkeypatch_targets.append((module, name, getattr(module, name)))
        setattr(module, name, value)

    original_guarded = analyse.guarded

    def guarded(source):
        source = original_guarded(source)
        read = source.read
        return type(source)(
            source.layouts, lambda targets: stages.timed_iter("read", read(targets))
        )

    swap(analyse, "guarded", guarded)
    swap(safety, "check_xlsx", stages.timed("safety checks", safety.check_xlsx))
    swap(worker, "_analyse_and_plan", stages.timed("planning", worker._analyse_and_plan))

    class TimedFile:
        def __init__(self, handle):
            self._handle = handle

        def write(self, text):
            started = time.perf_counter()
            try:
                return self._handle.write(text)
            finally:
                stages.add("spool", started)

        def __enter__(self):
            return self

        def close(self):
            started = time.perf_counter()
            self._handle.close()
            stages.add("spool", started)

        def __exit__(self, *exc):
            self.close()

    swap(
        checkpoints,
        "orjson",
        types.SimpleNamespace(
            dumps=stages.timed("spool", checkpoints.orjson.dumps),
            loads=checkpoints.orjson.loads,
            OPT_APPEND_NEWLINE=checkpoints.orjson.OPT_APPEND_NEWLINE,
        ),
    )
    swap(
        checkpoints,
        "gzip",
        types.SimpleNamespace(
            open=lambda path, mode="rb", **options: (
                TimedFile(gzip.open(path, mode, **options))  # noqa: SIM115 (closed by TimedFile)
                if "w" in mode
                else gzip.open(path, mode)  # noqa: SIM115 (the caller's with closes it)
            )
        ),
    )


class _Context:
    """A Lambda context with the full 15 minutes on every invocation; with ``planned_only``
    none is left once planning has returned, so the worker hands its writes to a follow-on
    message (which a --plan-only run leaves unread)."""

    def __init__(self, planned_only: bool = False) -> None:
        self.planned_only, self.planning_done = planned_only, False

    def get_remaining_time_in_millis(self) -> float:
        return 0 if self.planned_only and self.planning_done else 900_000


def import_in_process(
    path: str, rows: int, limits: dict[str, str], *, plan_only: bool = False
) -> InProcess:
    """moto in process with the stack's resources; the file uploaded and run by the worker,
    follow-on messages taken from the queue, until the import ends (``plan_only``: until its
    plan is stored; then the bench builds and counts its items as the write stage would, but
    writes none)."""
    from dataclasses import replace

    from moto import mock_aws

    from devstack import moto_patch

    moto_patch.apply()
    env = {
        "STAGE": "bench", "TABLE_NAME": "sitebook-bench", "BUCKET_NAME": "sitebook-bench",
        "AWS_REGION": "ap-southeast-2", "AWS_DEFAULT_REGION": "ap-southeast-2",
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", **limits,
    }  # fmt: skip
    os.environ.update(env)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        from chalicelib import aws as clients
        from chalicelib.imports import worker
        from chalicelib.imports.wiring import default_ports
        from chalicelib.imports.worker import dispatch
        from chalicelib.messages import messages_of
        from chalicelib.settings import reset_settings
        from chalicelib.store import imports as records
        from chalicelib.store.base import unbind
        from devstack.resources import StackNames, create_stack

        reset_settings()
        clients.reset_clients()
        unbind()
        names = StackNames.for_stage("bench")
        stack = create_stack(
            names,
            dynamodb=clients.client("dynamodb"),
            s3=clients.client("s3"),
            sqs=clients.client("sqs"),
        )
        os.environ["IMPORT_QUEUE_URL"] = stack.queue_url
        reset_settings()
        clients.reset_clients()
        unbind()
        stages = Stages()
        ports = default_ports()
        writer = CountingWriter(ports.writer, stages)
        ports = replace(ports, writer=writer, rules=TimedRules(ports.rules, stages))
        item, _ = records.create_import(
            "bench", source="template", file_name="bench.xlsx", dry_run=False, by=None,
            s3_key="uploads/bench/bench-import/bench.xlsx", import_id="bench-import",
        )  # fmt: skip
        clients.client("s3").upload_file(path, names.bucket, item.s3_key)
        restore: list = []
        _instrument(restore, stages)
        bookkeeping = Bookkeeping("bench", item.id)
        bookkeeping.install(restore)
        from chalicelib.messages import UploadArrived

        concurrency = int(getattr(ports.settings, "import_write_concurrency", 1) or 1)
        baseline = psutil.Process().memory_info().rss
        invocations = 0
        # The first invocation plans and then goes on writing into moto's tables, which live in
        # this process: the peak is read when planning returns, before any item is written.
        sampler = PeakRss(os.getpid())
        planning_peak = [0]
        plan = worker._analyse_and_plan
        first = _Context(planned_only=plan_only)

        def planned(*args, **kwargs):
            try:
                return plan(*args, **kwargs)
            finally:
                rss = psutil.Process().memory_info().rss
                planning_peak[0] = max(sampler.peak, rss)
                first.planning_done = True

        restore.append((worker, "_analyse_and_plan", plan))
        worker._analyse_and_plan = planned
        try:
            started = time.perf_counter()
            with sampler:
                message = UploadArrived("bench", item.id, item.s3_key, os.path.getsize(path), None)
                dispatch(message, ports, owner="bench-1", context=first)
            invocations += 1
            sqs = clients.client("sqs")
            while not plan_only:
                item.refresh(consistent_read=True)
                if item.status in FINISHED:
                    break
                got = sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=1)
                for received in got.get("Messages", []):
                    for follow_on in messages_of(received["Body"]):
                        dispatch(follow_on, ports, owner="bench-1", context=_Context())
                        invocations += 1
                    sqs.delete_message(
                        QueueUrl=stack.queue_url, ReceiptHandle=received["ReceiptHandle"]
                    )
                if not got.get("Messages"):
                    raise RuntimeError(f"the import is {item.status} and no message waits")
            seconds = None if plan_only else time.perf_counter() - started
            if plan_only:
                build_stored_plan(item, ports)
        finally:
            for module, name, value in reversed(restore):
                setattr(module, name, value)
        # Items are built (and counted) by the write stage, after planning has returned.
        planning = stages.seconds["planning"]
        return InProcess(
            item.status, item.rows_total or rows, planning, seconds,
            invocations, stages.seconds, writer, planning_peak[0], baseline, concurrency,
            bookkeeping,
        )  # fmt: skip


def build_stored_plan(item, ports) -> int:
    """Build every stored group's items and ledger entries as the write stage does
    (``CheckpointGroup.build`` through the bench's CountingWriter), writing none; the groups
    built."""
    from chalicelib.imports.write.batches import CheckpointGroup
    from chalicelib.imports.write.checkpoints import (
        IMPORTER,
        groups_from,
        ledger_puts_of,
        parts_prefix,
        plan_key,
    )

    s3, bucket = ports.s3, ports.settings.bucket_name
    keys = [plan_key(item)] if ports.settings.import_write_concurrency < 2 else sorted(
        found["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=parts_prefix(item)
        )
        for found in page.get("Contents", [])
    )  # fmt: skip
    groups, ledger_puts = 0, ledger_puts_of(item.tenant_id, item.id)
    with tempfile.TemporaryDirectory() as folder:
        for key in keys:
            path = os.path.join(folder, "plan.jsonl.gz")
            s3.download_file(bucket, key, path)
            for _, stored in groups_from(path, 0):
                group = CheckpointGroup.from_json(stored)
                group.build(ports.writer, item.tenant_id, by=IMPORTER, ledger=ledger_puts)
                groups += 1
    return groups


def print_in_process(run: InProcess, bare_rate: float) -> None:
    rows, stages = run.rows, run.stages
    plan_rate = rows / run.planning_seconds
    say(f"planning as the worker runs it (download, checks, read, match, link, validate, write "
        f"keys, spool, results): {run.planning_seconds:,.1f} s = {plan_rate:,.0f} rows/s; "
        f"{bare_rate / plan_rate:.2f}x the bare openpyxl read's time")  # fmt: skip
    known = ("read", "validate", "write keys", "spool", "safety checks")
    rest = stages["planning"] - sum(stages[name] for name in known)
    per_row = {name: stages[name] / rows * 1e6 for name in known}
    per_row["match, link, ledger, results"] = rest / rows * 1e6
    say("  µs per row by stage: " + ", ".join(f"{name} {us:,.0f}" for name, us in per_row.items())
        + f" (total {stages['planning'] / rows * 1e6:,.0f})")  # fmt: skip
    say(
        f"  build items, in the write stage from the stored records: "
        f"{stages['build items'] / rows * 1e6:,.0f} µs per row (spread over its workers)"
    )
    writer = run.writer
    items = sum(writer.items.values())
    say(f"  items planned (each written once): {items:,}; per row kind: " + ", ".join(
        f"{kind} {writer.items[kind] / writer.rows[kind]:.2f} items, "
        f"{writer.units[kind] / writer.rows[kind]:.2f} write units"
        for kind in ("customer", "site", "contact", "equipment") if writer.rows[kind]
    ))  # fmt: skip
    pk, largest = writer.partitions.most_common(1)[0]
    say(f"  largest partition key {pk!r}: {largest:,} items = {largest / items:.1%} of all")
    grown = (run.planning_peak_rss - run.baseline_rss) / 2**20
    say(f"  worker process RSS: {run.baseline_rss / 2**20:,.0f} MiB before, peak while planning "
        f"{run.planning_peak_rss / 2**20:,.0f} MiB (+{grown:,.0f} MiB; psutil every 50 ms; the "
        "process also holds moto's tables, empty until planning ends)")  # fmt: skip
    if run.seconds is None:
        say("end to end: not run (--plan-only)")
        return
    say(f"end to end (plan + write against moto in process, {run.invocations} invocation(s), "
        f"write concurrency {run.concurrency}): {run.status}, {rows:,} rows in "
        f"{run.seconds:,.1f} s = {rows / run.seconds:,.0f} rows/s; writing alone "
        f"{rows / max(run.seconds - run.planning_seconds, 1e-9):,.0f} rows/s")  # fmt: skip
    for line in run.bookkeeping.describe():
        say("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument(
        "--stack",
        action="store_true",
        help="import over the local stack (moto server, API, pump as processes) instead",
    )
    parser.add_argument(
        "--reimport",
        action="store_true",
        help="with --stack: import the same file again: every row unchanged",
    )
    parser.add_argument(
        "--export", action="store_true", help="with --stack: then export the register"
    )
    parser.add_argument(
        "--plan-only",
        action="store_true",
        help="in process: stop once the plan is stored (every figure but the end-to-end rate)",
    )
    parser.add_argument("--bare", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        _bare_main(*args.bare)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.xlsx")
        started = time.perf_counter()
        generate(path, args.customers)
        rows = args.customers + 3 * (args.customers // 2)
        say(f"file: {args.customers:,} customers + sites, contacts, equipment = {rows:,} rows; "
            f"{os.path.getsize(path) / 2**20:.1f} MiB; generated in "
            f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        bare = {reader: bare_in_child(reader, path) for reader in BARE_READERS}
        for reader, got in bare.items():
            say(f"bare {reader} read of every sheet: {got['rows']:,} rows in {got['seconds']:.2f} s"
                f" = {got['rows'] / got['seconds']:,.0f} rows/s; peak RSS "
                f"{got['peak_rss'] / 2**20:,.0f} MiB (a fresh interpreter)")  # fmt: skip
        bare_rate = bare["openpyxl"]["rows"] / bare["openpyxl"]["seconds"]
        limits = raised_limits(path, rows)
        if limits:
            say("limits raised for the bench: " + ", ".join(f"{k}={v}" for k, v in limits.items()))
        if args.stack:
            stack_main(args, path, folder, limits, bare_rate)
        else:
            run = import_in_process(path, rows, limits, plan_only=args.plan_only)
            print_in_process(run, bare_rate)


def stack_main(args, path: str, folder: str, limits: dict[str, str], bare_rate: float) -> None:
    from devstack.run import LocalStack, free_port

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
