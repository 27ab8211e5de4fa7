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
    """The work messages in the import queue (received, back in 30 s)."""
    from chalicelib import aws as clients
    from chalicelib.settings import get_settings

    sqs, url = clients.client("sqs"), get_settings().import_queue_url
    bodies = []
    while True:
        reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)
        if not reply.get("Messages"):
            break
        bodies += [json.loads(m["Body"]) for m in reply["Messages"]]
    return [body for body in bodies if "kind" in body]  # not S3's test event


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


def test_an_import_whose_parts_never_progress_fails_after_its_nudges_saying_what_was_written(
    api, stalled, monkeypatch
):
    from chalicelib.imports import watchdog as watching
    from chalicelib.imports.write import parts

    import_id, _ = stalled
    # Every delivery of a part now returns at once, leaving no message (the worst case).
    monkeypatch.setattr(parts, "write_part", lambda *args, **kwargs: None)
    stored = counter(api.tenant, import_id)
    rows_counted = int(stored["rows_done"]["N"])
    now = int(stored["progress_at"]["N"])
    for nudge in range(1, watching.NUDGES + 1):
        now += watching.STALL_SECONDS
        assert watchdog(now)[import_id].startswith(f"nudged ({nudge} of")
        assert watchdog(now + watching.STALL_SECONDS - 1)[import_id] == "progressing"
        assert pump_until_idle(runner()) == 1  # the part, delivered and gone

    done = watchdog(now + watching.STALL_SECONDS)

    assert done == {import_id: "failed"}
    failed = record(api, import_id)
    assert failed["status"] == "failed" and failed["finished_at"]
    assert failed["message"] == watching.STALLED_MESSAGE.format(
        hours=6,
        nudges=watching.NUDGES,
        written=f" {rows_counted} of {failed['rows_total']} rows were handled before it stopped;",
    )
    assert 0 < failed["rows_done"] == rows_counted < failed["rows_total"]
    assert "stopped" in counter(api.tenant, import_id)  # no part counts after this
    assert not watched(api.tenant, import_id)
    assert queued_bodies() == []
    assert watchdog(now + 10 * watching.STALL_SECONDS) == {}


@pytest.fixture
def planned(aws):
    """A running import planned as parts by delivery "plan-1", level 0 queued just now."""
    from chalicelib.store import import_parts
    from tests.functional.test_import_write_parts import PLANNED_LEVELS, plan_parts

    item, client, table = plan_parts("t-watch")
    assert import_parts.claim_level(
        client, table, item, owner="plan-1", level=0, parts=PLANNED_LEVELS[0], by="plan"
    )
    return item, client, table


def test_an_import_whose_parts_progress_is_left_alone(planned):
    from chalicelib.imports.watchdog import STALL_SECONDS
    from chalicelib.store import import_parts

    item, client, table = planned
    assert watchdog(time.time()) == {item.id: "progressing"}
    assert import_parts.count_group(
        client, table, item, owner="plan-1", part=0, index=0, rows=3, lost=0
    )
    counted_at = int(counter(item.tenant_id, item.id)["progress_at"]["N"])

    assert watchdog(counted_at + STALL_SECONDS - 1) == {item.id: "progressing"}
    assert queued_bodies() == []
    assert "nudges" not in counter(item.tenant_id, item.id)
    assert records_status(item) == "running"


def records_status(item) -> str:
    from chalicelib.store import imports as records

    return records.get_import(item.tenant_id, item.id).status


def test_a_count_after_a_nudge_gives_the_import_its_nudges_back(planned):
    from chalicelib.imports.watchdog import NUDGES, STALL_SECONDS
    from chalicelib.store import import_parts

    item, client, table = planned
    now = time.time() + STALL_SECONDS
    for _ in range(NUDGES):
        now += STALL_SECONDS
        assert watchdog(now)[item.id].startswith("nudged")
    assert import_parts.count_group(
        client, table, item, owner="plan-1", part=0, index=0, rows=3, lost=0
    )

    assert "nudges" not in counter(item.tenant_id, item.id)
    assert watchdog(now + STALL_SECONDS)[item.id].startswith("nudged (1 of")


@pytest.mark.parametrize("ending", ["succeeded", "failed", "taken over", "being failed"])
def test_an_import_that_ended_or_is_not_its_owners_is_left_alone(planned, ending):
    from chalicelib.imports.watchdog import STALL_SECONDS
    from chalicelib.store import import_parts
    from chalicelib.store import imports as records

    item, client, table = planned
    if ending == "succeeded":
        assert records.finish_import(item, owner="plan-1", status="succeeded", running=True)
    elif ending == "failed":
        assert records.fail_under_way(item, owner="plan-1", message="It broke.")
    elif ending == "taken over":
        item.update(actions=[records.ImportItem.owner.set("plan-2")])
    else:  # stopped on the counter, the record not failed yet (its failer retries)
        assert import_parts.stop_counting(client, table, item, owner="plan-1")
    before = records.get_import(item.tenant_id, item.id).to_dict()
    counter_before = counter(item.tenant_id, item.id)

    done = watchdog(time.time() + 10 * STALL_SECONDS)

    assert records.get_import(item.tenant_id, item.id).to_dict() == before
    assert counter(item.tenant_id, item.id) == counter_before
    assert queued_bodies() == []
    if ending in ("succeeded", "failed"):
        assert done == {item.id: "forgotten"}
        assert not watched(item.tenant_id, item.id)
    else:
        assert done == {item.id: "left to its owner"}
        assert watched(item.tenant_id, item.id)


def test_the_schedule_runs_the_watchdog_at_its_interval_and_its_threshold_outlasts_a_retry(aws):
    """app.import_watchdog takes EventBridge's scheduled event (tests/events); the stall
    threshold is longer than a part killed at the Lambda's limit takes to come back."""
    from app import app, import_watchdog
    from chalicelib.imports.watchdog import STALL_SECONDS, WATCH_EVERY_MINUTES
    from devstack.pump import LambdaContext
    from tests.conftest import ROOT

    event = json.loads((ROOT / "tests" / "events" / "scheduled_event.json").read_text())
    assert import_watchdog(event, LambdaContext()) is None
    (schedule,) = [h for h in app.event_sources if h.name == "import_watchdog"]
    assert schedule.schedule_expression.to_string() == f"rate({WATCH_EVERY_MINUTES} minutes)"
    resources = json.loads((ROOT / "infra" / "resources.json").read_text())["Resources"]
    visibility = resources["ImportQueue"]["Properties"]["VisibilityTimeout"]
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    worker_limits = [
        stage["lambda_functions"]["import_worker"]["lambda_timeout"]
        for stage in config["stages"].values()
        if "lambda_functions" in stage
    ]
    assert worker_limits and visibility + max(worker_limits) < STALL_SECONDS
