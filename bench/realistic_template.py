"""Imports a 300-customer template of realistic data with planted bad cells; prints what arrived.

Usage:
    python bench/realistic_template.py                      # starts its own local stack
    python bench/realistic_template.py --base http://127.0.0.1:8000 --token "$(make -s token \
        TENANT=real-$(date +%s))"                          # a running stack, a fresh tenant

The file is what a business moving to Sitebook brings: 120 customers (property managers,
commercial and residential), 180 sites billed to the property managers, 150 contacts and 120
pieces of equipment, with Australian phones from every range in use (including mobile ranges
newer than the phone metadata) and, planted among them, the mistakes real spreadsheets carry:
bad e-mails, payment terms, price levels and account managers that do not exist, bad states,
postcodes and dates, impossible phones, a phone in scientific notation, notes longer than
allowed (value problems: each should cost only its cell) and a few identity problems (no name,
a name twice, an unknown billing customer, a contact of nobody: each should fail its row).

It prepares the tenant through the API as an admin would (payment terms, price levels, a user),
downloads the tenant's template, fills it, uploads it through the presigned POST and waits for
the import's end; then prints per sheet the rows created, updated, unchanged, warned and failed,
the warnings and errors reported, and the customers the register holds afterwards, beside what
was planted; the ledger's size per row; then undoes the import and prints how long that took
beside the import's own time, and what it removed. It prints figures and never passes or fails.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TERMINAL = {"succeeded", "completed_with_warnings", "completed_with_errors", "failed"}

FIRST = [
    "Olivia",
    "Jack",
    "Charlotte",
    "Noah",
    "Amelia",
    "Leo",
    "Isla",
    "Oliver",
    "Mia",
    "Henry",
    "Ava",
    "Thomas",
    "Grace",
    "Lucas",
]
LAST = [
    "Nguyen",
    "Smith",
    "Williams",
    "Brown",
    "Jones",
    "Wilson",
    "Taylor",
    "Singh",
    "Kelly",
    "Martin",
    "Lee",
    "Walker",
    "Chen",
]
STREETS = [
    "High",
    "Church",
    "Station",
    "Victoria",
    "Bay",
    "Park",
    "Queen",
    "King",
    "Elizabeth",
    "Beach",
    "Hill",
    "Ocean",
]
SUBURBS = [
    ("Carlton", "VIC", "3053"),
    ("Fitzroy", "VIC", "3065"),
    ("Newtown", "NSW", "2042"),
    ("Bondi", "NSW", "2026"),
    ("Paddington", "QLD", "4064"),
    ("Fremantle", "WA", "6160"),
    ("Glenelg", "SA", "5045"),
    ("Sandy Bay", "TAS", "7005"),
]
# Mobiles of every range in use, including 0443-0446 and 0480s that older metadata calls
# unallocated: real numbers, which must arrive.
MOBILE_PREFIXES = ["0412", "0423", "0438", "0443", "0444", "0445", "0446", "0468", "0480", "0491"]
LANDLINE_AREAS = ["02", "03", "07", "08"]

# Value problems: each must cost only its cell (a warning); identity problems fail their row.
VALUE_PROBLEMS = {
    "Email": ["bob@", "jane.smith@gmail", "accounts at harbour.example"],
    "Payment Term": ["14 Days Net", "EOM+30"],
    "Price Level": ["Platinum"],
    "Assigned User": ["Nobody Here"],
    "Site State": ["QLDD", "Vicc"],
    "Site Postcode": ["30O0", "123456"],
    "Phone": ["12345", "6.14123E+10"],
}
EQUIPMENT_VALUE_PROBLEMS = {"Installation Date": ["31/02/2021", "someday"]}


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/") + ("" if base.rstrip("/").endswith("/v1") else "/v1")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kw) -> requests.Response:
        return self.http.request(method, self.base + path, timeout=60, **kw)

    def ensure(self, path: str, body: dict) -> None:
        reply = self.call("POST", path, json=body)
        if reply.status_code not in (201, 409):
            raise SystemExit(f"POST {path} answered {reply.status_code}: {reply.text}")


def prepare_tenant(api: Api) -> None:
    """What an admin sets up before importing: terms, price levels, an account manager."""
    for name, days in (("COD", 0), ("7 days", 7), ("30 days", 30)):
        api.ensure(
            "/lookups/payment-terms", {"name": name, "due_days": days, "due_basis": "invoice_date"}
        )
    for name, percent in (("Standard", 0), ("Trade", -10)):
        api.ensure("/lookups/price-levels", {"name": name, "adjustment_percent": percent})
    api.ensure("/users", {"name": "Priya Office", "email": "priya@tradie.example", "role": "staff"})


def _phone(rng: random.Random, mobile: bool) -> str:
    if mobile:
        return f"{rng.choice(MOBILE_PREFIXES)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    return f"{rng.choice(LANDLINE_AREAS)} {rng.randint(5000, 9999)} {rng.randint(1000, 9999)}"


def _address(rng: random.Random, n: int, prefix: str = "Site") -> dict[str, str]:
    suburb, state, postcode = rng.choice(SUBURBS)
    return {
        f"{prefix} Address Line 1": f"{n} {rng.choice(STREETS)} St",
        f"{prefix} Suburb": suburb,
        f"{prefix} State": state,
        f"{prefix} Postcode": postcode,
    }


def build_rows(seed: int = 7) -> tuple[dict[str, list[dict]], Counter, Counter]:
    """The four sheets' rows by column label, the value problems and identity problems planted."""
    rng = random.Random(seed)
    planted, identity = Counter(), Counter()
    customers, sites, contacts, equipment = [], [], [], []
    managers = []
    for n in range(120):
        kind = ("Property manager", "Commercial", "Residential")[n % 3]
        if kind == "Residential":
            first, last = rng.choice(FIRST), rng.choice(LAST)
            row = {"First Name": first, "Last Name": f"{last}{n}"}
            name = f"{first} {last}{n}"
        else:
            name = f"{rng.choice(LAST)} {('Realty', 'Plumbing Supplies', 'Strata')[n % 3]} {n}"
            row = {"Company Name": name}
        row.update(
            {
                "Import ID": f"CUST-{n:04d}",
                "Email": f"accounts{n}@customer{n}.example",
                "Phone": _phone(rng, mobile=False),
                "Mobile": _phone(rng, mobile=True),
                "Customer Type": kind,
                "Payment Term": rng.choice(["COD", "7 days", "30 days"]),
                "Price Level": rng.choice(["Standard", "Trade"]),
                "Assigned User": "Priya Office",
                "Lead Source": rng.choice(["Google", "Referral", "Website"]),
                **_address(rng, n),
                "Billing Same As Site": "Yes",
            }
        )
        customers.append(row)
        if kind == "Property manager":
            managers.append(row["Import ID"])
    for n in range(180):
        tenant = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        sites.append(
            {
                "Customer Name": f"Unit {n % 12 + 1}, {n} {rng.choice(STREETS)} St ({tenant})",
                "Import ID": f"SITE-{n:04d}",
                "Mobile": _phone(rng, mobile=True),
                "Billing Customer": rng.choice(managers),
                "Account Number": f"{rng.randint(0, 999999):06d}",
                "Customer Type": "Residential",
                **_address(rng, 1000 + n),
            }
        )
    for n in range(150):
        owner = customers[n % len(customers)]
        contacts.append(
            {
                "Customer Import ID or Name": owner["Import ID"],
                "First Name": rng.choice(FIRST),
                "Last Name": rng.choice(LAST),
                "Mobile": _phone(rng, mobile=True),
                "Email": f"contact{n}@customer{n % 120}.example",
                "Role": rng.choice(["Owner", "Tenant", "Accounts"]),
            }
        )
    for n in range(120):
        equipment.append(
            {
                "Customer Import ID or Name": f"SITE-{n:04d}",
                "Equipment Number": f"EQ-{n:04d}",
                "Equipment Name": rng.choice(["Hot water unit", "Split system", "Smoke alarm"]),
                "Equipment Type": rng.choice(["Hot water system", "Split system AC"]),
                "Make": rng.choice(["Rheem", "Daikin", "Clipsal"]),
                "Installation Date": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2021",
            }
        )
    # Plant value problems on distinct rows, spread over customers and sites.
    targets = customers + sites
    slots = rng.sample(range(len(targets)), sum(len(v) for v in VALUE_PROBLEMS.values()) + 2)
    for column, values in VALUE_PROBLEMS.items():
        for value in values:
            targets[slots.pop()][column] = value
            planted[column] += 1
    targets[slots.pop()]["Notes"] = "Gate code 4411. " * 400  # 6,400 characters: too long
    planted["Notes"] += 1
    for column, values in EQUIPMENT_VALUE_PROBLEMS.items():
        for i, value in enumerate(values):
            equipment[10 + i][column] = value
            planted[column] += 1
    # Identity problems: each fails its own row (and the rows that depend on it).
    customers[40] = {k: v for k, v in customers[40].items() if k not in _NAME_COLUMNS}
    identity["no name"] += 1
    sites[50]["Customer Name"] = sites[49]["Customer Name"]
    identity["a name twice"] += 1
    sites[60]["Billing Customer"] = "Nonexistent Realty"
    identity["unknown billing customer"] += 1
    contacts[70]["Customer Import ID or Name"] = "CUST-9999"
    identity["contact of nobody"] += 1
    return (
        {"customers": customers, "sites": sites, "contacts": contacts, "equipment": equipment},
        (planted),
        identity,
    )


_NAME_COLUMNS = ("Customer Name", "Company Name", "First Name", "Last Name")


def fill_template(template: bytes, rows: dict[str, list[dict]]) -> bytes:
    """The tenant's own template with the rows written under its header labels."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(template))
    sheets = {"customers": book.worksheets[0], "sites": book["Sites"]}
    sheets.update(contacts=book["Contacts"], equipment=book["Equipment"])
    for target, sheet in sheets.items():
        headers = [str(c.value or "").rstrip(" *").strip() for c in sheet[1]]
        for record in rows[target]:
            unknown = set(record) - set(headers)
            if unknown:
                raise SystemExit(f"{target}: the template has no column {sorted(unknown)}")
            sheet.append([record.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_import(api: Api, content: bytes) -> dict:
    created = api.call(
        "POST", "/imports", json={"file_name": "realistic-300.xlsx", "source": "template"}
    )
    created.raise_for_status()
    body = created.json()
    upload = body["upload"]
    sent = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("realistic-300.xlsx", content)}
    )
    sent.raise_for_status()
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        record = api.call("GET", f"/imports/{body['id']}").json()
        if record.get("status") in TERMINAL:
            return record
        time.sleep(1)
    return record


def customers_in_register(api: Api) -> int:
    count, cursor = 0, None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", "/customers", params=params).json()
        count += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return count


def report(record: dict, planted: Counter, identity: Counter, in_register: int) -> None:
    print(f"import status: {record.get('status')}  message: {record.get('message')}")
    counts = record.get("counts") or {}
    print(f"{'sheet':<11}{'created':>9}{'updated':>9}{'unchanged':>10}{'warned':>8}{'failed':>8}")
    for target, c in counts.items():
        print(
            f"{target:<11}{c.get('created', 0):>9}{c.get('updated', 0):>9}"
            f"{c.get('unchanged', 0):>10}{c.get('warned', 0):>8}{c.get('failed', 0):>8}"
        )
    print(f"customers in the register afterwards: {in_register} of 300 in the file")
    print(
        f"planted value problems: {sum(planted.values())} ({dict(planted)}); "
        f"warnings reported: {record.get('warnings_total', len(record.get('warnings') or []))}"
    )
    print(
        f"planted identity problems: {sum(identity.values())} ({dict(identity)}); "
        f"row errors reported: {record.get('errors_total', len(record.get('errors') or []))}"
    )
    by_column = Counter(e.get("column") for e in record.get("errors") or [])
    print(f"errors by column (first 100): {dict(by_column)}")


def dynamodb_item_bytes(item: dict) -> int:
    """An item's size as DynamoDB bills it: attribute names plus values (strings as UTF-8,
    numbers about one byte per two digits plus one)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        ((kind, raw),) = value.items()
        size += len(raw.encode()) if kind == "S" else len(raw) // 2 + 1
    return size


def ledger_size(api: Api, import_id: str) -> tuple[int, int, int]:
    """(rows, DynamoDB bytes, JSON bytes of the entries) of the import's ledger, paged by the API
    and rebuilt as the items the importer wrote (store/import_rows.py:row_put)."""
    import json

    from chalicelib.store.import_rows import row_put

    rows = stored = text = 0
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", f"/imports/{import_id}/rows", params=params).json()
        for entry in page["items"]:
            item = row_put("real-tenant-id-0000", import_id, rows, entry)["PutRequest"]["Item"]
            stored += dynamodb_item_bytes(item)
            text += len(json.dumps(entry, separators=(",", ":")).encode())
            rows += 1
        cursor = page.get("next_cursor")
        if not cursor:
            return rows, stored, text


def run_undo(api: Api, import_id: str) -> tuple[dict, float]:
    """POST the undo and wait for the import to end ``undone``; the record and the seconds."""
    started = time.perf_counter()
    api.call("POST", f"/imports/{import_id}/undo", json={}).raise_for_status()
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        record = api.call("GET", f"/imports/{import_id}").json()
        if record.get("status") == "undone" or (record.get("undo") or {}).get("status") == "failed":
            break
        time.sleep(0.5)
    return record, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", help="a running stack's API, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", help="an admin token of a fresh tenant (with --base)")
    args = parser.parse_args()
    stack = None
    if args.base:
        api = Api(args.base, args.token)
    else:
        from devstack.keys import mint_token
        from devstack.run import LocalStack, free_port

        stack = LocalStack(api_port=free_port(), moto_port=free_port())
        stack.start()
        tenant = f"real-{int(time.time())}"
        api = Api(stack.api_url, mint_token(tenant=tenant, role="admin", user=f"{tenant}-admin"))
    try:
        prepare_tenant(api)
        rows, planted, identity = build_rows()
        template = requests.get(api.call("GET", "/imports/template").json()["url"]).content
        started = time.perf_counter()
        record = run_import(api, fill_template(template, rows))
        import_seconds = time.perf_counter() - started
        print(f"import took {import_seconds:.1f} s end to end")
        report(record, planted, identity, customers_in_register(api))
        rows_kept, stored, text = ledger_size(api, record["id"])
        per_row, api_row = stored / max(rows_kept, 1), text / max(rows_kept, 1)
        print(
            f"ledger: {rows_kept} rows, {per_row:.0f} bytes per row as DynamoDB items "
            f"({api_row:.0f} bytes of JSON as the API pages it), {stored / 1024:.0f} KiB"
        )
        undone, undo_seconds = run_undo(api, record["id"])
        counts = (undone.get("undo") or {}).get("counts") or {}
        print(
            f"undo took {undo_seconds:.1f} s end to end (the import: {import_seconds:.1f} s); "
            f"status {undone.get('status')}; customers left: {customers_in_register(api)}"
        )
        for entity, c in counts.items():
            print(
                f"  {entity:<10} removed {c.get('removed', 0):>4}  restored "
                f"{c.get('restored', 0):>4}  conflicts {c.get('conflicts', 0):>4}"
            )
    finally:
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    main()
