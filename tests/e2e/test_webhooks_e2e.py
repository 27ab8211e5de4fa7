"""Webhooks on the local stack: writes → stream → events → signed POSTs to a loopback receiver."""

from __future__ import annotations

import io
import time

import pytest
import requests

from chalicelib.events.signing import verify
from tests.e2e.test_template_import_e2e import upload, wait_finished
from tests.webhook_receiver import Received, Receiver

WAIT_SECONDS = 60


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def subscribe(admin, url: str, types: list[str]) -> dict:
    reply = admin.post("/v1/webhooks", json={"url": url, "event_types": types})
    assert reply.status_code == 201, reply.text
    return reply.json()


def signed_by(secret: str, received: Received) -> bool:
    return verify(secret, received.headers["Sitebook-Signature"], received.body)


def test_a_create_two_updates_and_an_archive_arrive_signed_and_in_order(admin, receiver):
    hook = subscribe(admin, receiver.url, ["customer.*"])
    customer = admin.post("/v1/customers", json={"name": "Harbour Cafe"}).json()
    path = f"/v1/customers/{customer['id']}"
    for version, notes in ((1, "Back door"), (2, "Back door, code 1234")):
        reply = admin.patch(path, json={"notes": notes}, headers={"If-Match": f'"{version}"'})
        assert reply.status_code == 200, reply.text
    assert admin.delete(path, headers={"If-Match": '"3"'}).status_code == 200

    got = receiver.wait_for(4)
    assert [r.event["type"] for r in got] == [
        "customer.created",
        "customer.updated",
        "customer.updated",
        "customer.archived",
    ]
    assert [r.event["data"]["record"]["version"] for r in got] == [1, 2, 3, 4]
    assert all(signed_by(hook["secret"], r) for r in got)
    assert not signed_by("whsec_somebody-else", got[0])
    for r in got:
        assert r.headers["Sitebook-Event-Id"] == r.event["id"]
        assert r.headers["Sitebook-Event-Type"] == r.event["type"]
    assert got[2].event["data"]["previous"] == {"notes": "Back door"}


def test_a_receiver_refusing_for_a_while_gets_the_event_once_it_answers(admin):
    receiver = Receiver(refuse_first=3).start()
    try:
        hook = subscribe(admin, receiver.url, ["customer.created"])
        admin.post("/v1/customers", json={"name": "Slow Receiver Pty Ltd"})
        (delivered,) = receiver.wait_for(1)
        assert len({r.body for r in receiver.requests}) == 1  # the same event each time
        assert delivered.event["type"] == "customer.created" and signed_by(
            hook["secret"], delivered
        )
        gaps = [b.at - a.at for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)]
        assert gaps == sorted(gaps) and gaps[0] >= 0.9  # 1 s, 2 s, 4 s locally
        attempts = wait_for_attempts(admin, hook["id"], 4)
        assert [a["status_code"] for a in attempts] == [204, 500, 500, 500]  # newest first
        assert attempts[1]["error"].startswith("HTTP 500") and attempts[0]["succeeded"]
    finally:
        receiver.stop()


def wait_for_attempts(admin, webhook_id: str, count: int) -> list[dict]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        items = admin.get(f"/v1/webhooks/{webhook_id}/deliveries").json()["items"]
        if len(items) >= count or time.monotonic() > deadline:
            return items
        time.sleep(0.2)


def test_a_ping_reaches_the_receiver(admin, receiver):
    hook = subscribe(admin, receiver.url, ["import.finished"])
    sent = admin.post(f"/v1/webhooks/{hook['id']}/test")
    assert sent.status_code == 202, sent.text
    (ping,) = receiver.wait_for(1)
    assert ping.event["type"] == "ping" and ping.event["id"] == sent.json()["id"]
    assert signed_by(hook["secret"], ping)


def hundred_customers(admin) -> bytes:
    from openpyxl import load_workbook

    link = admin.get("/v1/imports/template").json()
    book = load_workbook(io.BytesIO(requests.get(link["url"], timeout=30).content))
    headers = [cell.value for cell in book["Customers"][1]]
    for n in range(100):
        row = {"Customer Name": f"Imported {n:03d}", "Email": f"c{n}@import.example"}
        book["Customers"].append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_100_row_import_gives_its_customer_events_and_the_feed_pages_through_them(
    admin, receiver
):
    subscribe(admin, receiver.url, ["*"])
    started = upload(admin, hundred_customers(admin))
    finished = wait_finished(admin, started["id"])
    assert finished["status"] == "succeeded", finished
    got = receiver.wait_for(101)
    types = [r.event["type"] for r in got]
    assert types.count("customer.created") == 100 and types.count("import.finished") == 1
    names = {r.event["data"]["record"]["name"] for r in got if r.event["type"] != "import.finished"}
    assert names == {f"Imported {n:03d}" for n in range(100)}

    time.sleep(1.5)  # the local feed shows events a second after they are written
    # nothing for claims, search tokens, counters or the ledger, even after a pause
    assert len(receiver.events()) == 101
    paged, cursor = [], None
    while True:
        params = {"limit": 30, **({"after": cursor} if cursor else {})}
        page = admin.get("/v1/events", params=params).json()
        paged += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    # Deliveries of different records may pass each other; the feed keeps the stream's order.
    assert len(paged) == 101 and {e["id"] for e in paged} == {r.event["id"] for r in got}
    stamps = [e["occurred_at"] for e in paged]
    assert stamps == sorted(stamps) and paged[-1]["type"] == "import.finished"
