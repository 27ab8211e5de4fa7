"""Measures webhooks on the local stack: write → signed delivery; what an import costs in events.

Usage: python bench/webhook_bench.py [--writes 100] [--customers 100]

Starts moto, the API and the pump (devstack.run.LocalStack) and a receiver on 127.0.0.1.
1. Latency: ``--writes`` times, one at a time, PATCHes a customer and times from the answer
   to the signed delivery's arrival, and (the baseline, same run) from the answer to the
   event's appearing in the change feed polled every 50 ms. The feed shows events once they
   are a settle time old (1 s locally), the delivery does not wait for that.
2. Import: a template of ``--customers`` new customers is imported; the bench counts the
   stream records of the tenant by item kind, the events and the deliveries, per customer,
   and scales them to a 100,000-customer import.
Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WAIT_SECONDS = 120


def token(tenant: str) -> str:
    from devstack.keys import PRIVATE_KEY, mint_token

    return mint_token(tenant=tenant, role="admin", private_key=PRIVATE_KEY.read_text())


def wait(condition, seconds: float = WAIT_SECONDS, step: float = 0.01):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError("waited too long")


def latency(api: requests.Session, base: str, receiver, writes: int) -> dict[str, list[float]]:
    customer = api.post(f"{base}/customers", json={"name": "Latency Cafe"}).json()
    receiver.wait_for(1)
    path = f"{base}/customers/{customer['id']}"
    cursor = api.get(f"{base}/events", params={"limit": 200}).json()["next_cursor"]
    delivered, fed = [], []
    for n in range(writes):
        seen = len(receiver.accepted())
        reply = api.patch(path, json={"notes": f"visit {n}"})
        written = time.time()
        assert reply.status_code == 200, reply.text
        arrival = receiver.wait_for(seen + 1)[seen].at
        delivered.append(arrival - written)

        def in_feed() -> bool:
            nonlocal cursor
            page = api.get(f"{base}/events", params={"after": cursor}).json()
            cursor = page["next_cursor"]
            return bool(page["items"])

        wait(in_feed, step=0.05)
        fed.append(time.time() - written)
    return {"webhook delivery": delivered, "change feed (baseline)": fed}


def import_costs(stack, api, base: str, receiver, customers: int, tenant: str) -> dict:
    from openpyxl import load_workbook

    from tests.e2e.test_template_import_e2e import upload, wait_finished

    link = api.get(f"{base}/imports/template").json()
    book = load_workbook(io.BytesIO(requests.get(link["url"], timeout=30).content))
    headers = [cell.value for cell in book["Customers"][1]]
    for n in range(customers):
        row = {"Customer Name": f"Bench {n:06d}", "Email": f"c{n}@bench.example"}
        book["Customers"].append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)

    class Admin:  # the e2e helpers' client shape
        def __getattr__(self, method):
            return lambda path, **kw: api.request(
                method.upper(), base.removesuffix("/v1") + path, **kw
            )

    before = len(receiver.accepted())
    census_before = stream_census(stack, tenant)
    started = time.monotonic()
    imported = wait_finished(Admin(), upload(Admin(), out.getvalue())["id"])
    assert imported["status"] == "succeeded", imported
    got = receiver.wait_for(before + customers + 1)
    elapsed = time.monotonic() - started
    deliveries = Counter(json.loads(r.body)["type"] for r in got[before:])
    time.sleep(2)  # the delivery log's last writes
    return {
        "stream records": stream_census(stack, tenant) - census_before,
        "deliveries": deliveries,
        "seconds": elapsed,
        "event bytes": statistics.mean(len(r.body) for r in got[before:]),
    }


def stream_census(stack, tenant: str) -> Counter:
    """The tenant's stream records since the table was made, by the kind of item written."""
    import os

    from devstack.event_pump import streams_client

    os.environ.update(stack.env)
    from chalicelib import aws
    from chalicelib.settings import reset_settings

    reset_settings()
    aws.reset_clients()
    streams = streams_client()
    arn = aws.client("dynamodb").describe_table(TableName=stack.env["TABLE_NAME"])["Table"][
        "LatestStreamArn"
    ]
    census: Counter = Counter()
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while True:
            reply = streams.get_records(ShardIterator=iterator, Limit=1000)
            for record in reply["Records"]:
                image = record["dynamodb"].get("NewImage") or record["dynamodb"]["OldImage"]
                if image["pk"]["S"].startswith(f"{tenant}#"):
                    census[image.get("entity", {}).get("S", "(keys only)")] += 1
            if not reply["Records"]:
                break
            iterator = reply["NextShardIterator"]
    return census


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--customers", type=int, default=100)
    args = parser.parse_args()

    from devstack.run import LocalStack, free_port
    from tests.webhook_receiver import Receiver

    stack = LocalStack(api_port=free_port(), moto_port=free_port(), log_dir=str(ROOT / "bench/out"))
    receiver = Receiver().start()
    stack.start(seed=False)
    try:
        tenant = f"bench-{int(time.time())}"
        base = f"{stack.api_url}/v1"
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token(tenant)}"
        hook = api.post(f"{base}/webhooks", json={"url": receiver.url, "event_types": ["*"]})
        assert hook.status_code == 201, hook.text

        times = latency(api, base, receiver, args.writes)
        print(f"\nWrite → event on the local stack ({args.writes} PATCHes, one at a time), ms:")
        print(f"  {'path':<24}{'median':>8}{'p90':>8}{'worst':>8}")
        for name, values in times.items():
            ms = sorted(v * 1000 for v in values)
            p90 = ms[int(len(ms) * 0.9) - 1]
            print(f"  {name:<24}{statistics.median(ms):>8.0f}{p90:>8.0f}{ms[-1]:>8.0f}")

        costs = import_costs(stack, api, base, receiver, args.customers, tenant)
        n = args.customers
        records = costs["stream records"]
        events = sum(costs["deliveries"].values())
        print(
            f"\nImport of {n} new customers (template, Customers sheet) in {costs['seconds']:.1f} s"
        )
        print("  stream records the import caused, by item kind (per customer):")
        for kind, count in records.most_common():
            print(f"    {kind:<18}{count:>7}{count / n:>8.2f}")
        print(f"    {'all':<18}{sum(records.values()):>7}{sum(records.values()) / n:>8.2f}")
        print(f"  deliveries (1 subscription to *): {dict(costs['deliveries'])}")
        per = (events - 1) / n
        print(f"  events per imported customer: {per:.2f} (+1 import.finished per import)")
        print(f"  mean delivered event size: {costs['event bytes']:.0f} bytes")
        big = 100_000
        print(f"\n  A {big:,}-customer import, scaled from these figures:")
        print(f"    events {per * big + 1:,.0f}; feed items written {per * big + 1:,.0f}")
        kinds = ("customer", "contact", "equipment", "import", "export")
        passed = sum(records[k] for k in kinds) / n * big
        all_records = sum(records.values()) / n * big
        print(f"    stream records {all_records:,.0f}, of which the event source's filter")
        print(
            f"      passes {passed:,.0f} to the events function (about {passed / 100:,.0f} batches)"
        )
        for subs in (1, 3):
            print(
                f"    deliveries with {subs} subscription(s) to customer.*: {per * big * subs:,.0f}"
            )
    finally:
        stack.stop()
        receiver.stop()


if __name__ == "__main__":
    main()
