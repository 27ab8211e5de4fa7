"""Measures the local stack's API latency with N customers stored, moto as released vs patched.

Usage: python bench/stack_latency.py [--customers 5000 20000] [--clients 4] [--requests 25]
       [--only patched|unpatched] [--baseline REF]

For each customer count and each moto (released, then with devstack/moto_patch.py) it starts
the local stack on free ports (devstack.run.LocalStack), stores N customers of one tenant with
BatchWriteItem (the items the importer writes: its rules prepare each record, its writer
builds the items; an import over HTTP of 20k customers takes too long to do twice per run),
waits for the event pump to work through the load's stream records (it shares the cores
and the moto server; how long it took is printed), warms up, then runs --clients threads,
each sending --requests rounds of GET /v1/customers/{id}, GET /v1/customers?q=<prefix> and
POST /v1/customers, and prints p50/p99 per route side by side. A request slower than the
timeout counts as that timeout. Never passes or fails on time.

``--baseline REF`` (a git commit, e.g. main) compares API code instead of engines: the API of
REF's tree (``git archive`` into a temporary folder) runs beside this tree's, on the same
stack and stored customers, and each gets half the rounds twice, in the order REF, this
tree, this tree, REF (the same requests to both).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import signal
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TENANT = "bench"
TIMEOUT = 60.0
LOAD_WRITERS = 4  # BatchWriteItem requests in flight while the store is loaded
ROUTES = ("GET /v1/customers/{id}", "GET /v1/customers?q=", "POST /v1/customers")


def say(text: str) -> None:
    print(text, flush=True)


def store_customers(count: int) -> list[str]:
    """N customers of TENANT through the importer's own rules and item builder; their ids.

    The items are built here while LOAD_WRITERS threads send them (BatchWriteItem, 25 a
    request, over the process's one client): the moto server stores one batch while the
    next customers' items are built and the next batches are on the wire.
    """
    from chalicelib import aws
    from chalicelib.imports.ports import PrepareContext
    from chalicelib.imports.wiring import customer_rules
    from chalicelib.settings import get_settings
    from chalicelib.store.base import new_id, now_iso
    from chalicelib.store.batch_writes import batch_write
    from chalicelib.store.import_writes import ImportRecordWriter

    rules, writer, ctx = customer_rules(), ImportRecordWriter(), PrepareContext()
    client, table, now = aws.client("dynamodb"), get_settings().table_name, now_iso()
    ids, pending, sent = [], [], []

    with ThreadPoolExecutor(LOAD_WRITERS, thread_name_prefix="load") as writers:

        def flush(writes: list) -> None:
            for start in range(0, len(writes), 25):
                sent.append(writers.submit(batch_write, client, table, writes[start : start + 25]))

        for n in range(count):
            data = {
                "name": f"Customer {n:07d} {random.choice(('Plumbing', 'Electrical', 'Gas'))}",
                "customer_number": f"B{n:07d}",
                "email": f"accounts@customer{n}.example",
                "phone": f"03 9{n:07d}",  # each its own, as a real register
            }
            record = rules.prepare_customer(data, None, ctx, new_id())
            ids.append(record["id"])
            rows = writer.customer_writes(TENANT, record, None, now=now, by=None)
            pending += [_as_batch_request(entry) for entry in rows]
            if len(pending) >= 500:
                flush(pending)
                pending = []
        flush(pending)
        for batch in sent:
            batch.result()  # a batch that failed fails the run
    return ids


def wait_for_event_pump(quiet_seconds: float = 15.0, most_seconds: float = 3600.0) -> None:
    """Wait until the local stack's event pump has handled the stream records of the load.

    Every write leaves a stream record, which the event pump (devstack/event_pump.py) turns
    into events: after a bulk load it works through the backlog for minutes, on the same
    cores and the same moto server as the API. The rounds measure the stack once settled:
    the pump's checkpoint file (written after every batch it handles) unchanged for
    ``quiet_seconds`` while it polls every half second.
    """
    import hashlib
    import tempfile

    from chalicelib import aws
    from chalicelib.settings import get_settings

    table = aws.client("dynamodb").describe_table(TableName=get_settings().table_name)["Table"]
    digest = hashlib.sha1(table["LatestStreamArn"].encode()).hexdigest()[:16]
    checkpoint = Path(tempfile.gettempdir()) / f"sitebook-stream-{digest}.json"
    deadline = time.monotonic() + most_seconds
    last, quiet_since = None, time.monotonic()
    while time.monotonic() < deadline:
        seen = checkpoint.read_text() if checkpoint.exists() else None
        if seen != last:
            last, quiet_since = seen, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_seconds:
            return
        time.sleep(1)


def _as_batch_request(entry: dict) -> dict:
    """A row transaction's entry (the importer writes one per row) as a BatchWriteItem
    request: the bench loads an empty tenant in bulk, where the conditions cannot fail."""
    ((kind, body),) = entry.items()
    if kind == "Put":
        return {"PutRequest": {"Item": body["Item"]}}
    return {"DeleteRequest": {"Key": body["Key"]}}


def client_rounds(
    api: str, token: str, ids: list[str], rounds: int, seed: int, began: float, tag: str = ""
) -> dict:
    """One client's timings (seconds) per route, and its requests as (seconds since
    ``began`` when sent, seconds taken, route, url) to tell when the slow ones ran. The
    same ``seed`` sends the same requests; ``tag`` sets its new customers' names apart."""
    rng = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    timings: dict[str, list[float]] = {route: [] for route in ROUTES}
    failed: dict[str, int] = {route: 0 for route in ROUTES}
    sent: list[tuple[float, float, str, str]] = []

    def timed(route: str, method: str, url: str, **kw) -> None:
        start = time.perf_counter()
        try:
            reply = session.request(method, api + url, timeout=TIMEOUT, **kw)
            if 400 <= reply.status_code < 500:
                raise RuntimeError(f"{method} {url}: {reply.status_code} {reply.text[:200]}")
            failed[route] += reply.status_code >= 500  # the API's own DynamoDB timeout
            timings[route].append(time.perf_counter() - start)
        except requests.Timeout:
            failed[route] += 1
            timings[route].append(TIMEOUT)
        sent.append((start - began, timings[route][-1], route, url))

    for r in range(rounds):
        timed(ROUTES[0], "GET", f"/v1/customers/{rng.choice(ids)}")
        timed(ROUTES[1], "GET", f"/v1/customers?q=00{rng.randrange(100):02d}&limit=25")
        body = {"name": f"Bench Client {tag}{seed}-{r} {rng.randrange(10**9)}"}
        timed(ROUTES[2], "POST", "/v1/customers", json=body)
    return {"timings": timings, "failed": failed, "sent": sent}


def measure(
    customers: int, patched: bool, clients: int, rounds: int, baseline: str | None = None
) -> dict[str, dict]:
    """Every request's seconds per route, and failed ones (5xx, timeout) as "failed" counts,
    for this tree's API ("this tree") and, with ``baseline``, REF's API (named by REF)."""
    import os
    import subprocess
    import tempfile

    from devstack.keys import mint_token
    from devstack.run import LocalStack, free_port

    logs = tempfile.mkdtemp(prefix="stack-latency-")
    stack = LocalStack(
        api_port=free_port(), moto_port=free_port(), patch_moto=patched, log_dir=logs
    )
    saved = dict(os.environ)
    started_apis: list = []
    try:
        stack.start()  # leaves the stack's environment in os.environ for store_customers
        started = time.perf_counter()
        ids = store_customers(customers)
        say(f"  stored {customers:,} customers in {time.perf_counter() - started:.0f}s")
        started = time.perf_counter()
        wait_for_event_pump()
        settled = time.perf_counter() - started
        say(f"  the event pump had read the load's stream records {settled:.0f}s later")
        token = mint_token(tenant=TENANT, role="admin")
        apis = {"this tree": stack.api_url}
        sessions = [("this tree", range(clients), rounds)]
        if baseline:
            apis[baseline] = other_api(baseline, stack.env, logs, started_apis)
            # Half the rounds each, in the order A B B A, so a load that drifts through the
            # run weighs on both alike; both send the same requests.
            first, second = range(clients), range(clients, 2 * clients)
            half, rest = rounds // 2, rounds - rounds // 2
            sessions = [(baseline, first, half), ("this tree", first, half)]
            sessions += [("this tree", second, rest), (baseline, second, rest)]
        results: dict[str, dict] = {}
        for name, seeds, count in sessions:
            say(f"  {count} rounds against {name}'s API:")
            timings = rounds_against(apis[name], token, ids, seeds, count, tag=name)
            results[name] = _joined(results[name], timings) if name in results else timings
        say(f"  logs: {logs}")
        return results
    finally:
        for process in started_apis:
            os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


def rounds_against(
    api: str, token: str, ids: list[str], seeds: range, rounds: int, tag: str
) -> dict:
    """Warm ``api`` up, run a client per seed against it (``tag`` and the seed in its new
    customers' names, so APIs measured on one stack send the same requests); timings and
    failures per route."""
    # Warm up: each route's first request (the API's lazy imports and first reads), and
    # the first Query of each partition and index (the patched engine sorts them, once).
    auth = {"Authorization": f"Bearer {token}"}
    for method, path, body in (
        ("GET", f"/v1/customers/{ids[0]}", None),
        ("GET", "/v1/customers?q=0000&limit=25", None),
        ("POST", "/v1/customers", {"name": f"Bench Warm Up {tag} {seeds[0]}"}),
    ):
        # moto as released may not answer in time: the rounds will show it.
        with contextlib.suppress(requests.Timeout):
            requests.request(method, f"{api}{path}", headers=auth, json=body, timeout=TIMEOUT)
    say(f"  load average before the rounds: {_load()}; they begin at {time.time():.3f} (epoch s)")
    began = time.perf_counter()
    with ThreadPoolExecutor(len(seeds)) as pool:
        parts = list(
            pool.map(lambda c: client_rounds(api, token, ids, rounds, c, began, tag), seeds)
        )
    say(f"  rounds took {time.perf_counter() - began:.0f}s; load average after: {_load()}")
    slowest = sorted((s for part in parts for s in part["sent"]), key=lambda s: -s[1])
    for at, took, _, url in slowest[:5]:
        say(f"  slow: {took * 1000:,.0f} ms, sent {at:.1f}s into the rounds: {url}")
    return {
        **{route: [t for part in parts for t in part["timings"][route]] for route in ROUTES},
        "failed": {route: sum(part["failed"][route] for part in parts) for route in ROUTES},
    }


def _joined(one: dict, other: dict) -> dict:
    """Two sessions' timings and failures per route as one."""
    joined = {route: one[route] + other[route] for route in ROUTES}
    return {**joined, "failed": {r: one["failed"][r] + other["failed"][r] for r in ROUTES}}


def other_api(ref: str, env: dict[str, str], logs: str, started: list) -> str:
    """The URL of the API of git commit ``ref``'s tree, started on the stack's environment
    (its process appended to ``started``, for the caller to stop)."""
    import os
    import subprocess
    import tempfile

    from devstack.run import free_port, wait_for

    tree = tempfile.mkdtemp(prefix=f"stack-latency-{ref}-")
    archive = subprocess.run(
        ["git", "archive", ref], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
    port = free_port()
    log = open(os.path.join(logs, f"api-{ref}.log"), "w")  # noqa: SIM115 - lives with the process
    started.append(
        subprocess.Popen(
            [sys.executable, "-m", "devstack.serve", "--port", str(port)],
            cwd=tree,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/v1/health")
    return url


def _load() -> str:
    import os

    return " / ".join(f"{n:.1f}" for n in os.getloadavg())


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=25, help="rounds per client")
    parser.add_argument("--only", choices=("patched", "unpatched"))
    parser.add_argument("--baseline", metavar="REF", help="also measure REF's API (git commit)")
    args = parser.parse_args()
    engines = [e for e in ("unpatched", "patched") if args.only in (None, e)]
    for customers in args.customers:
        results = {}
        for engine in engines:
            say(f"{customers:,} customers, moto {engine}: {args.clients} clients")
            apis = measure(
                customers, engine == "patched", args.clients, args.requests, args.baseline
            )
            for name, timings in apis.items():
                results[engine if name == "this tree" else f"{engine} {name}"] = timings
        # Each baseline before what it is compared with: the ratio is baseline / this tree.
        columns = [c for e in engines for c in (f"{e} {args.baseline}", e) if c in results]
        say(f"\n{customers:,} customers, {args.clients} clients, ms (p50 / p99, failed/n):")
        say(f"  {'route':<26}" + "".join(f"{e:>24}" for e in columns) + "   p50 ratio")
        for route in ROUTES:
            cells = [
                f"{p(results[e][route], 0.5):>9.0f} / {p(results[e][route], 0.99):>7.0f}"
                f" ({results[e]['failed'][route]}/{len(results[e][route])})"
                for e in columns
            ]
            ratio = ""
            if len(columns) == 2:
                base, fast = (statistics.median(results[e][route]) for e in columns)
                ratio = f"{base / fast:>10.1f}x"
            say(f"  {route:<26}" + "".join(f"{c:>24}" for c in cells) + "   " + ratio)
        say("")


if __name__ == "__main__":
    main()
