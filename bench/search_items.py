"""Counts the items, write units and hottest partitions an import writes, before and after.

Usage: python bench/search_items.py [--customers N] [--contacts C] [--equipment E]
[--baseline REF] (default 100,000 customers, plus N/2 sites billed to them, N/2 contacts of
the customers and N/2 pieces of equipment of the sites, the values of bench/import_bench.py's
generated file; more contacts or equipment than customers cycle over them; baseline: the
commit this branch left main at).

Nothing is written to DynamoDB: each side builds every row's writes with the importer's
own writer (ImportRecordWriter.customer_writes / contact_writes / equipment_writes, what
the write stage
batches), from records the domain prepared. The baseline runs the same measurement in a
subprocess over ``git archive REF`` of chalicelib, so both figures come from one run.
Write units: 1 per started KiB of an item, for the table and again for each GSI whose keys
the item has (DynamoDB's standard write cost); item sizes as DynamoDB counts them
(attribute names plus values: bench/item_size.py).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from item_size import item_size  # beside this script (sys.path[0]), shared with import_bench

ROOT = Path(__file__).resolve().parent.parent
TENANT = "t-bench"
GSIS = ("gsi1", "gsi2", "gsi3", "gsi4", "gsi5")


def _id(kind: str, n: int) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{n}").hex


def rows(customers: int, contacts: int, equipment: int):
    """(kind, API-shaped data, id) like import_bench.generate's file."""
    types = ("residential", "commercial", "strata")
    for n in range(customers):
        yield (
            "customer",
            {
                "name": f"Customer {n:07d}",
                "import_id": f"C-{n}",
                "email": f"accounts@customer{n}.example",
                "phone": "03 9123 4567",
                "customer_type_id": types[n % 3],
                "site_address": {
                    "line1": f"{n} Main Road",
                    "suburb": "Carlton",
                    "state": "VIC",
                    "postcode": "3053",
                },
            },
            _id("customer", n),
        )
    for n in range(customers // 2):
        yield (
            "site",
            {
                "name": f"Site {n:07d}",
                "billing": {"billing_customer_id": _id("customer", n)},
                "site_address": {
                    "line1": f"{n} Side Street",
                    "suburb": "Fitzroy",
                    "postcode": "3065",
                },
            },
            _id("site", n),
        )
    for n in range(contacts):
        yield (
            "contact",
            {"first_name": "Pat", "last_name": f"Contact{n}", "mobile": "0412 345 678"},
            _id("contact", n),
        )
    for n in range(equipment):
        yield (
            "equipment",
            {
                "equipment_number": f"EQ-{n}",
                "name": "Split system",
                "equipment_type_id": "air-conditioner",
                "installation_date": "2021-03-04",
            },
            _id("equipment", n),
        )


def measure(customers: int, contacts: int, equipment: int) -> dict:
    """Build every row's writes with this checkout's code; count items, units and partitions."""
    sys.path.insert(0, str(Path.cwd()))
    from chalicelib.domain.customers import (
        References,
        format_customer_number,
        prepare_contact,
        prepare_customer,
        prepare_equipment,
    )
    from chalicelib.domain.tenant_settings import TenantSettings
    from chalicelib.store.import_writes import ImportRecordWriter

    writer = ImportRecordWriter(client=object())
    refs = References(
        customer_types=frozenset({"residential", "commercial", "strata"}),
        equipment_types=frozenset({"air-conditioner"}),
    )
    sites = max(customers // 2, 1)
    settings = TenantSettings()
    now = "2026-01-01T00:00:00.000Z"
    per_kind: dict[str, Counter] = {}
    partitions: Counter = Counter()
    index_partitions: Counter = Counter()
    number = 0
    started = time.perf_counter()
    for kind, data, record_id in rows(customers, contacts, equipment):
        if kind == "contact":
            owner = _id("customer", int(data["last_name"].removeprefix("Contact")) % customers)
            record = {**prepare_contact(data, refs=refs, settings=settings), "id": record_id}
            record["customer_id"] = owner
            writes = writer.contact_writes(TENANT, record, None, now=now, by=None)
        elif kind == "equipment":
            owner = _id("site", int(data["equipment_number"].removeprefix("EQ-")) % sites)
            record = {**prepare_equipment(data, refs=refs, settings=settings), "id": record_id}
            record["customer_id"] = owner
            writes = writer.equipment_writes(TENANT, record, None, now=now, by=None)
        else:
            number += 1
            record = prepare_customer(data, refs=refs, settings=settings, customer_id=record_id)
            record = {**record, "id": record_id, "customer_number": format_customer_number(number)}
            writes = writer.customer_writes(TENANT, record, None, now=now, by=None)
        counts = per_kind.setdefault(kind, Counter())
        counts["rows"] += 1
        for write in writes:
            # A batch's PutRequest or (since each row is one transaction) a transaction's Put.
            put = write.get("PutRequest") or write.get("Put")
            if put is None:
                continue  # a Delete: a new record deletes nothing
            item = put["Item"]
            units = math.ceil(item_size(item) / 1024)
            counts["items"] += 1
            counts["units"] += units
            partitions[item["pk"]["S"]] += 1
            for gsi in GSIS:
                if f"{gsi}pk" in item:
                    counts["units"] += units
                    index_partitions[f"{gsi} {item[f'{gsi}pk']['S']}"] += 1
            if "SEARCH" in item["pk"]["S"]:
                counts["search"] += 1
    total = sum(partitions.values())
    hot, hot_items = partitions.most_common(1)[0]
    index_hot, index_items = index_partitions.most_common(1)[0]
    # The customer lists (by name, by each filter value): the hot keys of issue 12's 5 % rule.
    lists = Counter({k: v for k, v in index_partitions.items() if "#CUSTOMERS#" in k})
    list_hot, list_items = lists.most_common(1)[0]
    # A tenant's contacts and its equipment (gsi1 collections the export and importer read).
    children = Counter(
        {k: v for k, v in index_partitions.items() if "#CONTACTS" in k or "#EQUIPMENT" in k}
    )
    child_hot, child_items = children.most_common(1)[0] if children else ("-", 0)
    return {
        "per_kind": {k: dict(v) for k, v in per_kind.items()},
        "items": total,
        "hottest": [hot, hot_items / total],
        "hottest_index": [index_hot, index_items / total],
        "hottest_list": [list_hot, list_items / total],
        "hottest_collection": [child_hot, child_items / total],
        "seconds": time.perf_counter() - started,
        "code": str(Path(sys.modules["chalicelib"].__file__).parent.parent),
    }


def baseline_tree(ref: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "archive", ref, "chalicelib"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    path = into / "tree.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(into, filter="data")


def run_side(cwd: Path, customers: int, contacts: int, equipment: int) -> dict:
    counts = ["--customers", str(customers), "--contacts", str(contacts)]
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure", *counts]
        + ["--equipment", str(equipment)],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


def report(customers: int, contacts: int, equipment: int, before: dict, after: dict) -> None:
    print(f"Items one import of {customers:,} customers writes ({customers // 2:,} sites,")
    print(f"{contacts:,} contacts and {equipment:,} pieces of equipment with them);")
    print("write units include GSI writes.\n")
    print(f"{'':34}{'before':>12}{'after':>12}")
    for kind in ("customer", "site", "contact", "equipment"):
        if not before["per_kind"].get(kind):
            continue
        for what in ("items", "search", "units"):
            label = {"items": "items", "search": "  of which search", "units": "write units"}[what]
            values = []
            for side in (before, after):
                counts = side["per_kind"][kind]
                values.append(counts.get(what, 0) / counts["rows"])
            print(f"{f'{label} per {kind}':34}{values[0]:>12.2f}{values[1]:>12.2f}")
    print(f"{'items in all':34}{before['items']:>12,}{after['items']:>12,}")
    for label, key in (
        ("largest table partition", "hottest"),
        ("largest GSI partition", "hottest_index"),
        ("largest list partition", "hottest_list"),
        ("largest child partition", "hottest_collection"),
    ):
        shares = [side[key][1] * 100 for side in (before, after)]
        print(f"{label + ' share (%)':34}{shares[0]:>12.2f}{shares[1]:>12.2f}")
    for name, side in (("before", before), ("after", after)):
        print(f"  {name}: table {side['hottest'][0]!r}; index {side['hottest_index'][0]!r}")
        print(f"  {name}: customer list {side['hottest_list'][0]!r}")
        print(f"  {name}: contact/equipment {side['hottest_collection'][0]!r}")
    print(f"{'seconds to build the writes':34}{before['seconds']:>12.1f}{after['seconds']:>12.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=None, help="default: customers / 2")
    parser.add_argument("--equipment", type=int, default=None, help="default: customers / 2")
    parser.add_argument("--baseline", default=None, help="git ref (default: merge-base with main)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    contacts = args.customers // 2 if args.contacts is None else args.contacts
    equipment = args.customers // 2 if args.equipment is None else args.equipment
    if args.measure:
        print(json.dumps(measure(args.customers, contacts, equipment)))
        return
    ref = (
        args.baseline
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    with tempfile.TemporaryDirectory() as tmp:
        baseline_tree(ref, Path(tmp))
        print(f"baseline {ref[:10]} …", file=sys.stderr)
        before = run_side(Path(tmp), args.customers, contacts, equipment)
    print("this checkout …", file=sys.stderr)
    after = run_side(ROOT, args.customers, contacts, equipment)
    report(args.customers, contacts, equipment, before, after)


if __name__ == "__main__":
    main()
