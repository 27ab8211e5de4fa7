"""Measures a template import end to end in process against moto: rows/s, peak RSS, DynamoDB calls.

Usage: python bench/import_bench.py [--customers N]   (default 100000; sites, contacts and
equipment add N/2 rows each). Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for key, value in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "ap-southeast-2",
    "AWS_REGION": "ap-southeast-2",
    "STAGE": "bench",
    "TABLE_NAME": "sitebook-bench",
    "BUCKET_NAME": "sitebook-bench",
}.items():
    os.environ[key] = value
os.environ.pop("AWS_ENDPOINT_URL", None)

TENANT = "bench-tenant"


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
                    "Phone": "03 9123 4567",
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


class Context:
    def get_remaining_time_in_millis(self) -> float:
        return 900_000


def count_dynamodb_calls() -> Counter:
    """Count every DynamoDB call, boto3's and PynamoDB's, through botocore's before-call event."""
    import pynamodb.connection.base as pynamodb_base

    from chalicelib import aws

    calls: Counter = Counter()

    def on_call(model, **_):
        calls[model.name] += 1

    original = pynamodb_base.get_session

    def counted_session():
        session = original()
        session.register("before-call.dynamodb", on_call)
        return session

    pynamodb_base.get_session = counted_session
    aws.client("dynamodb").meta.events.register("before-call.dynamodb", on_call)
    return calls


def run_import(path: str, reimport: bool = False) -> tuple[float, dict, Counter]:
    from moto import mock_aws

    with mock_aws():
        from chalicelib import aws
        from chalicelib.imports.worker import Runner
        from chalicelib.settings import get_settings, reset_settings
        from chalicelib.store import imports as records
        from chalicelib.store.base import unbind
        from devstack.resources import StackNames, create_stack

        reset_settings()
        aws.reset_clients()
        unbind()
        names = StackNames.for_stage("bench")
        stack = create_stack(
            names, dynamodb=aws.client("dynamodb"), s3=aws.client("s3"), sqs=aws.client("sqs")
        )
        os.environ["IMPORT_QUEUE_URL"] = stack.queue_url
        os.environ["MAX_UPLOAD_BYTES"] = str(200 * 2**20)
        os.environ["MAX_IMPORT_ROWS"] = str(1_000_000)
        reset_settings()
        calls = count_dynamodb_calls()
        timings = {}
        # A dry run first (it writes nothing), the import, then the same file again.
        for dry_run in (True, False, "again") if reimport else (True, False):
            item, _ = records.create_import(
                TENANT,
                source="template",
                file_name="bench.xlsx",
                dry_run=dry_run is True,
                by="bench",
            )
            aws.client("s3").upload_file(path, names.bucket, item.s3_key)
            size = os.path.getsize(path)
            created = {"eventName": "ObjectCreated:Post", "s3": {"object": {"key": item.s3_key}}}
            created["s3"]["object"]["size"] = size
            body = {"Records": [created]}
            event = {"Records": [{"messageId": f"bench-{dry_run}", "body": json.dumps(body)}]}
            calls.clear()
            started = time.perf_counter()
            Runner.default().handle_event(event, Context())
            timings[dry_run] = time.perf_counter() - started
            if dry_run is False:
                done, first_calls = records.get_import(TENANT, item.id).to_dict(), Counter(calls)
        if reimport:
            again = records.get_import(TENANT, item.id).to_dict()
            reimported = dict(
                seconds=timings["again"], counts=again["counts"], calls=Counter(calls)
            )
        elapsed, calls = timings[False], first_calls
        done["dry_run_seconds"] = timings[True]
        done["reimport"] = reimported if reimport else None
        assert get_settings().table_name == names.table
        return elapsed, done, calls


def print_reimport(again: dict, rows: int) -> None:
    unchanged = sum(c["unchanged"] for c in again["counts"].values())
    total = sum(again["calls"].values())
    print(f"re-import of the same file: {unchanged:,} of {rows:,} rows unchanged in "
          f"{again['seconds']:.1f} s = {rows / again['seconds']:,.0f} rows/s; DynamoDB "
          f"requests {total:,} = {total / rows:.3f} per row; "
          + ", ".join(f"{name} {n:,}" for name, n in again["calls"].most_common()))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--reimport",
        action="store_true",
        help="import the file a second time (slow on moto: its Query walks the whole table)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.xlsx")
        started = time.perf_counter()
        # In a child process, so the peak RSS printed below is the import's, not generation's.
        child = multiprocessing.get_context("fork").Process(
            target=generate, args=(path, args.customers)
        )
        child.start()
        child.join()
        size = os.path.getsize(path) / 2**20
        print(f"file: {args.customers:,} customers + sites, contacts, equipment; {size:.1f} MiB; "
              f"generated in {time.perf_counter() - started:.1f} s")  # fmt: skip

        bare_rows, bare_seconds = bare_read(path)
        elapsed, done, calls = run_import(path, args.reimport)
        rows = done["rows_total"]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        import_rate, bare_rate = rows / elapsed, bare_rows / bare_seconds
        total_calls = sum(calls.values())
        print(
            f"import: {done['status']}, {rows:,} rows in {elapsed:.1f} s"
            f" = {import_rate:,.0f} rows/s"
        )
        print(f"  counts: {json.dumps(done['counts'])}; errors: {done['errors_total']}")
        dry = done["dry_run_seconds"]
        print(f"dry run of the same file (read, resolve, match, link, validate, results; no "
              f"writes): {dry:.1f} s = {rows / dry:,.0f} rows/s")  # fmt: skip
        if done["errors"]:
            print(f"  first error: {done['errors'][0]}")
        if done["reimport"]:
            print_reimport(done["reimport"], rows)
        print(f"bare openpyxl read_only pass: {bare_rows:,} rows in {bare_seconds:.1f} s = "
              f"{bare_rate:,.0f} rows/s")  # fmt: skip
        print(f"ratio import/bare read: {import_rate / bare_rate:.3f} "
              f"(bare read is {bare_rate / import_rate:.1f}x faster)")  # fmt: skip
        print(f"peak RSS (this process: bare read + import + moto): {peak:,.0f} MiB")
        print(
            f"DynamoDB requests: {total_calls:,} = {total_calls / rows:.3f} per row; "
            + ", ".join(f"{name} {n:,}" for name, n in calls.most_common())
        )


if __name__ == "__main__":
    main()
