"""Import undo over HTTP on the local stack: the pump runs the queued undo like Lambda would."""

from __future__ import annotations

import time

import pytest

from tests.e2e.test_template_import_e2e import (
    fill_template,
    make_payment_term,
    table_census,
    upload,
    wait_finished,
)

# An undo writes one transaction per record (≈ 300 here): on a busy shared machine that is minutes.
UNDO_WAIT_SECONDS = 600
# The import's own bookkeeping (its record, its ledger) is not the register.
NOT_REGISTER = ("IMPORT/", "IMPORTROWS/")


def register(census: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in census.items() if not k.startswith(NOT_REGISTER)}


def wait_undone(admin, import_id: str) -> dict:
    deadline = time.monotonic() + UNDO_WAIT_SECONDS
    while time.monotonic() < deadline:
        now = admin.get(f"/v1/imports/{import_id}").json()
        if now["status"] == "undone" or (now.get("undo") or {}).get("status") == "done":
            return now
        time.sleep(0.5)
    pytest.fail(f"the undo of {import_id} did not finish within {UNDO_WAIT_SECONDS}s")


def test_an_import_undone_over_http_leaves_the_register_as_before(stack, admin, tenant):
    make_payment_term(admin)
    existing = admin.post("/v1/customers", json={"name": "Customer 000", "phone": "0298765432"})
    assert existing.status_code == 201
    (before,) = table_census(stack, tenant)
    created = upload(admin, fill_template(admin))
    done = wait_finished(admin, created["id"])
    rows = admin.get(f"/v1/imports/{created['id']}/rows", params={"outcome": "updated"}).json()
    assert [r["record_id"] for r in rows["items"]] == [existing.json()["id"]]

    dry = admin.post(f"/v1/imports/{created['id']}/undo", json={"dry_run": True})
    assert dry.status_code == 202, dry.text
    planned = wait_undone(admin, created["id"])["undo"]["planned"]
    to_remove = done["counts"]["customers"]["created"] + done["counts"]["sites"]["created"]
    assert planned["customer"]["remove"] == to_remove
    assert register(table_census(stack, tenant)[0]) != register(before)

    asked = admin.post(f"/v1/imports/{created['id']}/undo", json={})
    assert asked.status_code == 202 and asked.json()["status"] == "undoing"
    undone = wait_undone(admin, created["id"])

    assert undone["status"] == "undone" and undone["undo"]["conflicts_total"] == 0
    assert register(table_census(stack, tenant)[0]) == register(before)
    back = admin.get(f"/v1/customers/{existing.json()['id']}").json()
    assert back["email"] is None and back["phone"] == existing.json()["phone"]
