"""An import racing the API over HTTP on the local stack: the API's writes stay whole."""

from __future__ import annotations

import io
import time

import requests

from tests.e2e.test_template_import_e2e import (
    FINISHED,
    WAIT_SECONDS,
    upload,
    wait_finished,
    write_parts,
)

# Enough customers for level 0 to take a few rounds of the pump's 4 handlers (~40 a group).
FILLERS = 400
RACE = "changed by someone else during the import — import it again to apply"


def racing_file(admin, fillers: int) -> bytes:
    """Enough customers that the import writes for a while, then the two rows that race.

    The racing rows are billed to the first filler, so their group waits for the filler's:
    spread over workers (IMPORT_WRITE_CONCURRENCY > 1), they are written in level 1, after
    all of level 0 (imports/write/batches.py:GroupLevels), not at once beside the fillers."""
    from openpyxl import load_workbook

    link = admin.get("/v1/imports/template").json()
    book = load_workbook(io.BytesIO(requests.get(link["url"], timeout=30).content))
    headers = {name: [cell.value for cell in book[name][1]] for name in book.sheetnames}

    def add(sheet: str, values: dict) -> None:
        book[sheet].append([values.get(h) for h in headers[sheet]])

    for n in range(fillers):
        add("Customers", {"Customer Name": f"Filler {n:05d}", "Email": f"ap@f{n}.example",
                          "Phone": "03 9123 4567"})  # fmt: skip
    add("Customers", {"Customer Name": "Patched Co", "Notes": "from the file",
                      "Billing Customer": "Filler 00000"})  # fmt: skip
    add("Customers", {"Customer Name": "Racer X", "Email": "file@racer.example",
                      "Billing Customer": "Filler 00000"})  # fmt: skip
    add("Contacts", {"Customer Import ID or Name": "Racer X", "First Name": "Rita"})
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def racing_rows_unwritten(stack, tenant: str, import_id: str) -> bool:
    """The import writes, and has not reached the racing rows.

    Spread over workers: level 0 (the fillers) is queued and level 1 (the racing rows) is
    not. Written in order: some rows are written and fewer than half."""
    item, _ = write_parts(stack, tenant, import_id)
    if item["status"]["S"] != "running":
        return False
    if "write_parts" in item:
        return int(item.get("levels_queued", {"N": "0"})["N"]) == 1
    done, total = (int(item.get(name, {"N": "0"})["N"]) for name in ("rows_done", "rows_total"))
    return 0 < done < total // 2


def test_api_writes_made_while_an_import_writes_win_and_the_import_reports_its_lost_rows(
    stack, admin, tenant
):
    patched = admin.post("/v1/customers", json={"name": "Patched Co", "notes": "before"}).json()
    created = upload(admin, racing_file(admin, fillers=FILLERS))
    deadline = time.monotonic() + WAIT_SECONDS
    while not racing_rows_unwritten(stack, tenant, created["id"]):
        now = admin.get(f"/v1/imports/{created['id']}").json()
        assert now["status"] not in FINISHED, "the import finished before the race: make it bigger"
        assert time.monotonic() < deadline, f"the import never started writing: {now}"
        time.sleep(0.05)

    racer = admin.post("/v1/customers", json={"name": "Racer X", "email": "api@racer.example"})
    assert racer.status_code == 201, racer.text
    path = f"/v1/customers/{patched['id']}"
    edited = admin.patch(path, json={"notes": "from the API"}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
    still = admin.get(f"/v1/imports/{created['id']}").json()
    assert still["status"] == "running", "the import ended before the race: make it bigger"

    done = wait_finished(admin, created["id"])
    assert done["status"] == "completed_with_errors"
    assert done["counts"]["customers"]["created"] == FILLERS
    assert done["counts"]["customers"]["failed"] == 2
    assert done["counts"]["contacts"]["failed"] == 1
    lost = {(e["sheet"], e["row"]): e["message"] for e in done["errors"]}
    assert lost[("Customers", FILLERS + 2)] == lost[("Customers", FILLERS + 3)] == RACE
    assert lost[("Contacts", 2)].endswith(RACE)

    named = admin.get("/v1/customers", params={"q": "racer"}).json()["items"]
    assert [c["id"] for c in named] == [racer.json()["id"]]
    assert admin.patch(f"/v1/customers/{named[0]['id']}", json={"name": "Racer Y"}).ok
    after = admin.get(path)
    assert after.json()["notes"] == "from the API" and after.headers["ETag"] == '"2"'
