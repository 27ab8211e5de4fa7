"""Measures DynamoDB write units per imported customer: this tree's importer against main's.

Usage: python bench/import_write_cost.py [--customers 200] [--baseline REV]

Imports a filled template of N customers (name, Import ID, email, phone, type, site address),
each with one contact, in process against moto; then imports it again with every customer's
email and phone changed (updates). A botocore hook sees every DynamoDB request the worker
sends; write units are counted from the requests by DynamoDB's pricing rules: a standard write
costs 1 WCU per started KB of the item, a transactional write 2; a delete of these small items
1 (2 in a transaction); each GSI an item is in costs 1 WCU per started KB more (the same in
both modes, shown apart). Only the register's writes count (customers, contacts, claims, search
entries), not the import record's bookkeeping nor the lookups the file creates; "calls" are the
requests carrying them, "import s" the whole import in process (moto's CPU included: a hint of
the request count's weight, not DynamoDB's latency).

The baseline is the same bench run in a subprocess over ``git archive REV`` (default: the
commit before this bench was added: the importer's unconditional BatchWriteItem before issue 11
point 1). Never passes or fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote_plus

from item_size import item_size  # beside this script (sys.path[0])

HERE = Path(__file__).resolve().parent.parent
GSI_KEYS = ("gsi1pk", "gsi2pk", "gsi3pk", "gsi4pk", "gsi5pk")
REGISTER = ("customer", "contact", "equipment", "unique", "search_token")

units: Counter = Counter()


def _entity(item: dict) -> str:
    return item.get("entity", {}).get("S", "")


def _lookup_claim(pk: str) -> bool:
    return "#UNIQUE#" in pk and "#UNIQUE#customer-" not in pk and "#UNIQUE#equipment-" not in pk


def _put(item: dict, factor: int) -> None:
    if _entity(item) not in REGISTER or _lookup_claim(item["pk"]["S"]):
        return
    size_units = max(1, math.ceil(item_size(item) / 1024))
    units["table"] += factor * size_units
    units["gsi"] += size_units * sum(1 for key in GSI_KEYS if key in item)
    units["items"] += 1


def _delete(key: dict, factor: int) -> None:
    pk = key["pk"]["S"]
    if "#IMPORT" in pk or pk.endswith("#COUNTER") or _lookup_claim(pk):
        return
    units["table"] += factor
    units["items"] += 1


def count_writes(params, model, **_) -> None:
    """A botocore before-parameter-build hook: the write units of each register write sent."""
    before = units["items"]
    if model.name == "BatchWriteItem":
        for requests in params["RequestItems"].values():
            for request in requests:
                if "PutRequest" in request:
                    _put(request["PutRequest"]["Item"], 1)
                else:
                    _delete(request["DeleteRequest"]["Key"], 1)
    elif model.name == "TransactWriteItems":
        for entry in params["TransactItems"]:
            if "Put" in entry:
                _put(entry["Put"]["Item"], 2)
            elif "Delete" in entry:
                _delete(entry["Delete"]["Key"], 2)
    units["calls"] += units["items"] > before


def rows(customers: int, version: int) -> dict:
    return {
        "customers": [
            {
                "Customer Name": f"Customer {n:05d}",
                "Import ID": f"C-{n}",
                "Email": f"accounts{version}@customer{n}.example",
                "Phone": f"03 9{version}{n % 10}3 {n % 10000:04d}",
                "Customer Type": ("Residential", "Commercial", "Strata")[n % 3],
                "Site Address Line 1": f"{n} Main Road",
                "Site Suburb": "Carlton",
                "Site State": "VIC",
                "Site Postcode": "3053",
            }
            for n in range(customers)
        ],
        "contacts": [
            {
                "Customer Import ID or Name": f"C-{n}",
                "First Name": "Pat",
                "Last Name": f"Lee {n}",
                "Email": f"pat{version}@customer{n}.example",
            }
            for n in range(customers)
        ],
    }


def measure(customers: int) -> dict:
    """Write units of a first import (creates) and of a second (updates) of ``customers``."""
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb", count_writes))
    from in_process import in_process_environment  # beside this script (sys.path[0])
    from moto import mock_aws

    from devstack.keys import mint_token

    private, public = in_process_environment()
    with mock_aws(), tempfile.TemporaryDirectory() as folder:
        from chalice.config import Config
        from chalice.test import TestHTTPClient

        from app import app
        from chalicelib import aws
        from chalicelib.imports.template import write_filled_template
        from chalicelib.imports.worker import handle_import_event
        from chalicelib.settings import reset_settings
        from chalicelib.store.base import unbind
        from devstack.gateway import ProblemLocalGateway
        from devstack.resources import StackNames, create_stack

        names = StackNames.for_stage("bench")
        os.environ.update(TABLE_NAME=names.table, BUCKET_NAME=names.bucket)
        reset_settings()
        aws.reset_clients()
        unbind()
        stack = create_stack(
            names, dynamodb=aws.client("dynamodb"), s3=aws.client("s3"), sqs=aws.client("sqs")
        )
        os.environ["IMPORT_QUEUE_URL"] = stack.queue_url
        reset_settings()
        config = Config.create(chalice_stage="test", app_name="sitebook", project_dir=os.getcwd())
        http = TestHTTPClient(app, config)
        http._local_gateway = ProblemLocalGateway(app, config)
        token = mint_token(tenant=f"bench-{uuid.uuid4().hex[:6]}", role="admin",
                           private_key=private.read_text())  # fmt: skip
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        figures = {}
        for label, version in (("created", 1), ("updated", 2)):
            body = {"source": "template", "file_name": f"{label}.xlsx", "dry_run": False}
            reply = http.request("POST", "/v1/imports", headers=headers,
                                 body=json.dumps(body).encode())  # fmt: skip
            created = json.loads(reply.body)
            path = os.path.join(folder, f"{label}.xlsx")
            write_filled_template(path, rows(customers, version))
            key = created["upload"]["fields"]["key"]
            s3 = aws.client("s3")
            s3.upload_file(path, names.bucket, key)
            size = s3.head_object(Bucket=names.bucket, Key=key)["ContentLength"]
            s3_object = {"key": quote_plus(key, safe="/"), "size": size}
            s3_part = {"bucket": {"name": names.bucket}, "object": s3_object}
            notification = {"eventName": "ObjectCreated:Post", "s3": s3_part}
            body = json.dumps({"Records": [notification]})
            event = {"Records": [{"messageId": f"m-{label}", "body": body}]}
            units.clear()
            started = time.perf_counter()
            handle_import_event(event, None)
            units["seconds"] = time.perf_counter() - started
            reply = http.request("GET", f"/v1/imports/{created['id']}", headers=headers)
            status = json.loads(reply.body)
            figures[label] = {**units, "status": status["status"], "counts": status["counts"]}
    return figures


def baseline(rev: str, customers: int) -> dict:
    """This bench run over ``git archive rev`` in a subprocess."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "-C", str(HERE), "archive", rev], check=True,
                                 capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        out = subprocess.run(
            [sys.executable, __file__, "--customers", str(customers), "--code", folder, "--json"],
            check=True, capture_output=True, text=True, cwd=folder,
        )  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])


def _before_this_bench() -> str:
    """The commit before the one that added this bench (HEAD while it is uncommitted)."""
    added = subprocess.run(
        ["git", "-C", str(HERE), "log", "--diff-filter=A", "--format=%H", "--",
         f"bench/{Path(__file__).name}"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    rev = f"{added[-1]}^" if added else "HEAD"
    return subprocess.run(["git", "-C", str(HERE), "rev-parse", rev], check=True,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--baseline", help="git revision to compare with (default: the commit "
                        "before this bench was added, the importer before issue 11.1)")  # fmt: skip
    parser.add_argument("--code", help=argparse.SUPPRESS)  # run over another tree's code
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, args.code or str(HERE))
    if args.json:
        print(json.dumps(measure(args.customers)))
        return
    os.chdir(HERE)
    rev = args.baseline or _before_this_bench()
    before = baseline(rev, args.customers)
    after = measure(args.customers)
    n = args.customers
    print(f"Write units per imported customer (+1 contact each), {n} customers, moto in process")
    print(f"  {'':<34}{'table WCU':>10}{'GSI WCU':>9}{'total':>8}{'items':>7}{'calls':>7}"
          f"{'import s':>10}")  # fmt: skip
    for label in ("created", "updated"):
        for title, figures in ((f"before ({rev[:10]})", before), ("after (this tree)", after)):
            f = figures[label]
            print(
                f"  {label + ', ' + title:<34}{f['table'] / n:>10.1f}{f['gsi'] / n:>9.1f}"
                f"{(f['table'] + f['gsi']) / n:>8.1f}{f['items'] / n:>7.1f}{f['calls'] / n:>7.2f}"
                f"{f['seconds']:>10.1f}   {f['status']}"
            )


if __name__ == "__main__":
    main()
