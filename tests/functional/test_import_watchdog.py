"""The import watchdog against moto's queue and table: an import written by parts whose
deliveries all stopped without a message is nudged (its unfinished parts queued again) and
finishes, or fails with a message after NUDGES nudges; a healthy, finished, stopped or
taken-over import is left alone. The clock is the ``now`` handed to the watchdog."""

from __future__ import annotations

import json
import time

import pytest

from tests.functional.test_import_write_parts import (
    FILE,
    Counts,
    Watch,
    assert_imported_once,
    pump_until_finished,
    record_key,
    table_item,
    three_workers,  # noqa: F401 - a fixture
)
from tests.functional.test_template_import import record, runner, upload


def watchdog(now: float) -> dict[str, str]:
    from chalicelib.imports.watchdog import watch_imports
    from chalicelib.imports.wiring import default_ports

    return watch_imports(default_ports(), now=int(now))


def pump_until_idle(handler) -> int:
    """One handler at a time until the import queue is empty (nothing is in flight between
    two receives); how many messages were handled."""
    from chalicelib.settings import get_settings
    from devstack.pump import receive_and_handle

    handled = 0
    while n := receive_and_handle(
        handler, get_settings().import_queue_url, wait_seconds=0, lease_seconds=30
    ):
        handled += n
    return handled


def queued_bodies() -> list[dict]:
    """The import queue's messages, received and left to return at once."""
    from chalicelib import aws as clients
    from chalicelib.settings import get_settings

    sqs, url = clients.client("sqs"), get_settings().import_queue_url
    bodies = []
    while True:
        reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)
        if not reply.get("Messages"):
            break
        bodies += [json.loads(m["Body"]) for m in reply["Messages"]]
    return bodies


def counter(tenant: str, import_id: str) -> dict | None:
    from chalicelib.store import import_parts

    return table_item(import_parts.counter_key(tenant, import_id))


def watched(tenant: str, import_id: str) -> bool:
    from chalicelib.store import import_parts

    return table_item(import_parts.watch_key(tenant, import_id)) is not None


@pytest.fixture
def stalled(api, aws, tmp_path, three_workers):  # noqa: F811
    """An import whose first part stopped for good after its first group, leaving no message:
    that count's reply is lost and the refused retry is taken for a takeover (the bug
    counted_last fixed, put back). Pumped until the queue is empty; the import stays ``running``."""
    from chalicelib.store import import_parts

    count_group, lost_replies = import_parts.count_group, []

    def reply_lost_once(client, table, item, **kwargs):
        counted = count_group(client, table, item, **kwargs)
        if counted and kwargs["index"] == 0 and not lost_replies:
            lost_replies.append(kwargs["index"])
            return False
        return counted

    with pytest.MonkeyPatch.context() as patched:  # the bug is back only until the stall
        patched.setattr(import_parts, "count_group", reply_lost_once)
        patched.setattr(import_parts, "counted_last", lambda *args, **kwargs: False)
        import_id, _ = upload(api, aws, FILE, tmp_path=tmp_path)
        pump_until_idle(runner())

    assert lost_replies == [0]
    assert record(api, import_id)["status"] == "running"
    levels = json.loads(table_item(record_key(api.tenant, import_id))["write_parts"]["S"])
    first_part = levels[0][0]
    assert first_part[1] > 1  # part 0 had groups after the one whose reply was lost
    assert counter(api.tenant, import_id)["parts"]["M"]["0"]["N"] == "1"
    assert watched(api.tenant, import_id)
    return import_id, first_part


def test_a_stalled_import_is_left_alone_until_the_threshold_then_its_parts_are_queued_again(
    api, stalled
):
    from chalicelib.imports.watchdog import STALL_SECONDS

    import_id, (first, end) = stalled
    stored = counter(api.tenant, import_id)
    progress_at, owner = int(stored["progress_at"]["N"]), stored["owner"]["S"]

    assert watchdog(progress_at + STALL_SECONDS - 1) == {import_id: "progressing"}
    assert queued_bodies() == []

    done = watchdog(progress_at + STALL_SECONDS)

    assert done[import_id].startswith("nudged (1 of")
    # The unfinished part only (level 0's others are written), named by its range: the
    # counter sends it on at its own next group.
    assert queued_bodies() == [
        {"kind": "write", "tenant_id": api.tenant, "import_id": import_id, "owner": owner,
         "first": first, "end": end}
    ]  # fmt: skip
    stored = counter(api.tenant, import_id)
    assert stored["nudges"]["N"] == "1"
    assert stored["nudged_at"]["N"] == str(progress_at + STALL_SECONDS)
    assert record(api, import_id)["status"] == "running"


def test_a_nudged_import_finishes_when_its_parts_are_delivered_and_duplicates_repeat_nothing(
    api, stalled, monkeypatch
):
    """Two nudges queue the stalled part twice; the pump runs both copies side by side (and
    the copies they make of the levels after). Every group is counted once, every row written
    once, and the import ends ``succeeded``."""
    from chalicelib.imports.watchdog import STALL_SECONDS

    import_id, _ = stalled
    stored = counter(api.tenant, import_id)
    progress_at, counted_before = int(stored["progress_at"]["N"]), int(stored["groups_done"]["N"])
    first_nudge = progress_at + STALL_SECONDS
    assert watchdog(first_nudge)[import_id].startswith("nudged (1 of")
    assert watchdog(first_nudge + STALL_SECONDS)[import_id].startswith("nudged (2 of")
    watch = Watch(monkeypatch)
    counts = Counts(monkeypatch, api.tenant)

    done = pump_until_finished(api, import_id, runner())

    assert_imported_once(api, done)
    levels = json.loads(table_item(record_key(api.tenant, import_id))["write_parts"]["S"])
    groups = sum(end - first for level in levels for first, end in level)
    assert counts.counted == list(range(1, groups - counted_before + 1))  # each once
    assert watch.finishes == 1  # a copy of the finishing part's message does not finish again
    assert counter(api.tenant, import_id) is None  # deleted by the finish, its marker with it
    assert not watched(api.tenant, import_id)
    assert watchdog(time.time() + 10 * STALL_SECONDS) == {}  # nothing left to watch
