"""An import's writes spread over several workers through the real (moto) import queue: every
row written once, a row after the customer it needs, groups counted once on the import's
counter item (never on its record), progress shown while the parts write, one finish, a worker
that crashes mid-file resumed from its part's count, and a failed import's parts stopped."""

from __future__ import annotations

import json
import threading
import time
from functools import partial

import pytest

from tests.functional.test_template_import import record, runner, stored, upload

CUSTOMERS = 30
FILE = {
    "customers": [
        {"Customer Name": f"Customer {n:02d}", "Import ID": f"C-{n}"} for n in range(CUSTOMERS)
    ],
    # Each site is billed to a customer of this file, each equipment row is at a site of it,
    # each contact belongs to a customer: three levels of groups.
    "sites": [
        {"Customer Name": f"Site {n:02d}", "Billing Customer": f"C-{n}"} for n in range(12)
    ],
    "contacts": [
        {"Customer Import ID or Name": f"Customer {n:02d}", "First Name": f"Pat {n}"}
        for n in range(12)
    ],
    "equipment": [
        {"Customer Import ID or Name": f"Site {n:02d}", "Equipment Name": "Boiler",
         "Equipment Number": f"B-{n}", "Equipment Type": "Boiler"}
        for n in range(6)
    ],
}  # fmt: skip
ROWS = CUSTOMERS + 12 + 12 + 6


class Watch:
    """Wraps the worker's seams to see, across threads, when each group's rows were written,
    how many groups were in flight at once, and how many times the import finished."""

    def __init__(self, monkeypatch) -> None:
        from chalicelib.imports.report import finish as finishing
        from chalicelib.imports.write import rows

        self.lock = threading.Lock()
        self.clock = 0
        self.created_at: dict[str, int] = {}  # customer id -> tick its group ended
        self.needed: list[tuple[str, int]] = []  # (customer needed, tick the group started)
        self.in_flight = self.most_in_flight = 0
        self.finishes = 0
        write_rows, finish = rows.write_rows, finishing.finish

        def watched_write_rows(group_rows, *args, **kwargs):
            with self.lock:
                self.clock += 1
                started = self.clock
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                self.needed += [(c, started) for row in group_rows for c in row.needs]
            time.sleep(0.05)  # a group takes a while, as against DynamoDB
            try:
                return write_rows(group_rows, *args, **kwargs)
            finally:
                with self.lock:
                    self.clock += 1
                    self.in_flight -= 1
                    for row in group_rows:
                        if row.creates:
                            self.created_at.setdefault(row.record_id, self.clock)

        def watched_finish(*args, **kwargs):
            with self.lock:
                self.finishes += 1
            return finish(*args, **kwargs)

        monkeypatch.setattr(rows, "write_rows", watched_write_rows)
        monkeypatch.setattr(finishing, "finish", watched_finish)


class Counts:
    """Sees every group counted (groups_done after it) and what GET /v1/imports/{id} shows
    right after, and every update moto applies to the import's record and to its counter."""

    def __init__(self, monkeypatch, tenant: str) -> None:
        from moto.dynamodb.models import DynamoDBBackend

        from chalicelib.imports import service
        from chalicelib.store import import_parts

        self.lock = threading.Lock()
        self.counted: list[int] = []
        self.shown: list[tuple[str, int]] = []
        self.record_updates = self.counter_updates = 0
        self.record_updates_at_counts: list[int] = []  # the record's updates so far, each count
        count_group, update_item = import_parts.count_group, DynamoDBBackend.update_item

        def watched_count_group(client, table, item, **kwargs):
            if not count_group(client, table, item, **kwargs):
                return False
            with self.lock:
                self.counted.append(len(self.counted) + 1)
                self.record_updates_at_counts.append(self.record_updates)
                shown = service.import_status(tenant, item.id)
                self.shown.append((shown["status"], shown["rows_done"]))
            return True

        def watched_update_item(backend, table_name, key, *args, **kwargs):
            updated = update_item(backend, table_name, key, *args, **kwargs)
            if key["pk"]["S"] == f"{tenant}#IMPORT":
                with self.lock:
                    if key["sk"]["S"].endswith(import_parts.COUNTER_SK):
                        self.counter_updates += 1
                    else:
                        self.record_updates += 1
            return updated

        monkeypatch.setattr(import_parts, "count_group", watched_count_group)
        monkeypatch.setattr(DynamoDBBackend, "update_item", watched_update_item)


def record_key(tenant: str, import_id: str) -> dict:
    return {"pk": {"S": f"{tenant}#IMPORT"}, "sk": {"S": import_id}}


def table_item(key: dict) -> dict | None:
    """The item at ``key`` as stored (consistent read), or None."""
    from chalicelib import aws as clients
    from chalicelib.settings import get_settings

    return (
        clients.client("dynamodb")
        .get_item(TableName=get_settings().table_name, Key=key, ConsistentRead=True)
        .get("Item")
    )


@pytest.fixture
def three_workers(aws, monkeypatch):
    """IMPORT_WRITE_CONCURRENCY=3, and groups of ~40 items so that this small file has many."""
    from chalicelib.imports.write import batches, checkpoints
    from chalicelib.settings import reset_settings
    from devstack import pump

    monkeypatch.setenv("IMPORT_WRITE_CONCURRENCY", "3")
    reset_settings()
    monkeypatch.setattr(
        checkpoints, "checkpoint_groups", partial(batches.checkpoint_groups, items_per_group=40)
    )
    monkeypatch.setattr(pump, "RETRY_AFTER_SECONDS", 0)  # a failed message returns at once


def pump_until_finished(api, import_id: str, handler, seconds: float = 240) -> dict:
    """Three handlers at once on the import queue (devstack.pump, as `make run` does) until the
    import ends."""
    from chalicelib.settings import get_settings
    from chalicelib.store import imports as records
    from devstack.pump import pump_concurrently

    deadline = time.monotonic() + seconds

    def running() -> bool:
        item = records.get_import(api.tenant, import_id)
        return item.status not in records.FINISHED and time.monotonic() < deadline

    pump_concurrently(
        handler,
        get_settings().import_queue_url,
        concurrency=3,
        keep_going=running,
        wait_seconds=0,
        lease_seconds=30,
    )
    return record(api, import_id)


def assert_imported_once(api, done: dict) -> None:
    assert done["status"] == "succeeded", done
    assert done["rows_done"] == done["rows_total"] == ROWS
    counts = done["counts"]
    assert counts["customers"]["created"] == CUSTOMERS
    assert counts["sites"]["created"] == 12
    assert counts["contacts"]["created"] == 12
    assert counts["equipment"]["created"] == 6
    register = stored(api.tenant)
    customers = list(register.customers.values())
    assert len(customers) == CUSTOMERS + 12
    assert len({c["customer_number"] for c in customers}) == CUSTOMERS + 12
    assert len(register.contacts) == 12 and len(register.equipment) == 6
    by_name = {c["name"]: c for c in customers}
    for n in range(12):
        billing = by_name[f"Site {n:02d}"]["billing"]["billing_customer_id"]
        assert billing == by_name[f"Customer {n:02d}"]["id"]
    rows = api.get(f"/v1/imports/{done['id']}/rows?limit=200").json["items"]
    assert len(rows) == ROWS and {r["outcome"] for r in rows} == {"created"}


def test_writes_spread_over_three_workers_keep_order_and_finish_once(
    api, aws, tmp_path, monkeypatch, three_workers
):
    from chalicelib.store import import_parts

    watch = Watch(monkeypatch)
    counts = Counts(monkeypatch, api.tenant)
    import_id, _ = upload(api, aws, FILE, tmp_path=tmp_path)  # S3 notifies the queue itself

    done = pump_until_finished(api, import_id, runner())

    assert_imported_once(api, done)
    assert watch.finishes == 1
    assert watch.most_in_flight > 1  # groups of one level were written side by side
    for customer, started in watch.needed:  # a row waits for the customer it needs
        assert watch.created_at[customer] < started
    stored_record = table_item(record_key(api.tenant, import_id))
    levels = json.loads(stored_record["write_parts"]["S"])
    assert len(levels) == 3  # customers; sites and contacts; equipment
    groups = sum(end - first for level in levels for first, end in level)
    assert groups > 3
    assert counts.counted == list(range(1, groups + 1))  # each group once, none twice
    # Every group counted on the counter: the record is not updated from the first count to
    # the last; the counter goes at the finish.
    assert len(set(counts.record_updates_at_counts)) == 1
    assert counts.counter_updates >= groups
    assert "groups_done" not in stored_record and "parts" not in stored_record
    assert table_item(import_parts.counter_key(api.tenant, import_id)) is None
    # GET /v1/imports/{id} showed the rows counted while the parts wrote, rising.
    shown = [rows for status, rows in counts.shown if status == "running"]
    assert shown and shown == sorted(shown) and 0 < shown[-1] <= ROWS


def test_a_worker_that_crashes_mid_file_is_resumed_from_its_part(
    api, aws, tmp_path, monkeypatch, three_workers, caplog
):
    caplog.set_level("INFO", logger="sitebook.imports")
    watch = Watch(monkeypatch)
    counts = Counts(monkeypatch, api.tenant)
    import_id, _ = upload(api, aws, FILE, tmp_path=tmp_path)
    crashed = []

    def crash(index: int) -> None:
        if index == 1 and not crashed:  # group 1 is written, not yet counted
            crashed.append(index)
            raise RuntimeError("injected crash mid-file")

    done = pump_until_finished(api, import_id, runner(after_batch=crash))

    assert crashed == [1]
    assert_imported_once(api, done)
    assert done["attempts"] == 1  # parts never claim the import; the planner did, once
    assert watch.finishes == 1
    # The counter sent the retried part back to group 1 (written, not counted), not to its start;
    # group 1 was counted once.
    assert f"import {import_id} resumes at batch 1 of part 0-" in caplog.text
    levels = json.loads(table_item(record_key(api.tenant, import_id))["write_parts"]["S"])
    assert len(counts.counted) == sum(end - first for level in levels for first, end in level)


def test_a_count_whose_reply_was_lost_still_lets_its_part_go_on_to_the_finish(
    api, aws, tmp_path, monkeypatch, three_workers
):
    """The count's first attempt is applied but its reply lost; botocore's retry then fails
    the count's own condition. The part must go on: no message is left to continue it."""
    from chalicelib.store import import_parts

    count_group, lost_replies = import_parts.count_group, []

    def reply_lost_once(client, table, item, **kwargs):
        counted = count_group(client, table, item, **kwargs)
        if counted and kwargs["index"] == 1 and not lost_replies:
            lost_replies.append(kwargs["index"])
            assert not count_group(client, table, item, **kwargs)  # the retry, refused
            return False
        return counted

    monkeypatch.setattr(import_parts, "count_group", reply_lost_once)
    import_id, _ = upload(api, aws, FILE, tmp_path=tmp_path)

    done = pump_until_finished(api, import_id, runner())

    assert lost_replies == [1]
    assert_imported_once(api, done)


@pytest.fixture
def planned(aws):
    """A running import planned as two levels of parts: [0, 2), [2, 3) then [3, 4)."""
    return plan_parts("t-counter")


PLANNED_LEVELS = [[[0, 2], [2, 3]], [[3, 4]]]


def plan_parts(tenant_id: str):
    """``(import, DynamoDB client, table)``: an import running for delivery "plan-1", planned
    as PLANNED_LEVELS of parts, none queued yet."""
    from chalicelib import aws as clients
    from chalicelib.settings import get_settings
    from chalicelib.store import import_parts
    from chalicelib.store import imports as records

    item, _ = records.create_import(
        tenant_id, source="template", file_name="f.xlsx", dry_run=False, by=None
    )
    assert records.claim_import(item, owner="plan-1", etag=None)
    client, table = clients.client("dynamodb"), get_settings().table_name
    assert import_parts.save_write_plan(client, table, item, owner="plan-1", levels=PLANNED_LEVELS)
    return item, client, table


def test_a_group_counted_again_counts_once_and_its_part_resumes_past_it(planned):
    from chalicelib.imports import service
    from chalicelib.store import import_parts

    item, client, table = planned
    level = [[0, 2], [2, 3]]
    assert import_parts.claim_level(
        client, table, item, owner="plan-1", level=0, parts=level, by="plan"
    )
    count = dict(owner="plan-1", part=0, index=0, rows=5, lost=1)

    assert import_parts.count_group(client, table, item, **count)
    assert not import_parts.count_group(client, table, item, **count)  # a retry, a duplicate

    progress = import_parts.write_progress(client, table, item)
    assert progress.next_group == {0: 1, 2: 2}  # part 0 resumes at group 1, part 2 at its first
    assert (progress.groups_done, progress.rows_done, progress.rows_lost) == (1, 5, 1)
    assert service.import_status(item.tenant_id, item.id)["rows_done"] == 5
    record = table_item(record_key(item.tenant_id, item.id))
    assert record["rows_done"]["N"] == "0"  # counted on the counter only


def test_a_refused_count_is_the_parts_own_only_when_it_is_the_last_counted_for_its_owner(
    planned,
):
    from chalicelib.store import import_parts
    from chalicelib.store import imports as records

    item, client, table = planned
    assert import_parts.claim_level(
        client, table, item, owner="plan-1", level=0, parts=[[0, 2], [2, 3]], by="plan"
    )
    mine = dict(owner="plan-1", part=0)
    assert import_parts.count_group(client, table, item, index=0, rows=5, lost=0, **mine)

    assert import_parts.counted_last(client, table, item, index=0, **mine)
    assert not import_parts.counted_last(client, table, item, index=1, **mine)  # not yet
    assert not import_parts.counted_last(client, table, item, owner="plan-2", part=0, index=0)
    assert not import_parts.counted_last(client, table, item, owner="plan-1", part=2, index=2)
    assert import_parts.count_group(client, table, item, index=1, rows=5, lost=0, **mine)
    assert not import_parts.counted_last(client, table, item, index=0, **mine)  # others since

    assert records.fail_under_way(item, owner="plan-1", message="stopped")
    assert not import_parts.counted_last(client, table, item, index=1, **mine)


def test_one_part_queues_each_level_and_one_finishes(planned):
    from chalicelib.store import import_parts

    item, client, table = planned
    claim = dict(owner="plan-1", level=0, parts=[[0, 2], [2, 3]])
    assert import_parts.claim_level(client, table, item, by="plan", **claim)
    assert not import_parts.claim_level(client, table, item, by="2", **claim)  # queued already
    for part, index in ((0, 0), (0, 1), (2, 2)):
        assert import_parts.count_group(
            client, table, item, owner="plan-1", part=part, index=index, rows=1, lost=0
        )
    later = dict(owner="plan-1", level=1, parts=[[3, 4]])
    assert import_parts.claim_level(client, table, item, by="2", **later)
    assert not import_parts.claim_level(client, table, item, by="0", **later)
    assert import_parts.write_progress(client, table, item).level_queuer == "2"
    assert import_parts.count_group(
        client, table, item, owner="plan-1", part=3, index=3, rows=1, lost=0
    )

    finish = dict(owner="plan-1", by="3", delivery="m-3")
    assert import_parts.claim_finish(client, table, item, **finish)
    assert import_parts.claim_finish(client, table, item, **finish)  # its message's retry
    assert not import_parts.claim_finish(client, table, item, **{**finish, "by": "0"})
    # Another copy of the same part's message (sent again): both would finish.
    assert not import_parts.claim_finish(client, table, item, **{**finish, "delivery": "m-4"})
    assert not import_parts.claim_finish(client, table, item, **{**finish, "owner": "plan-2"})


def test_a_failed_import_stops_its_parts_and_keeps_what_they_counted(planned):
    from chalicelib.store import import_parts
    from chalicelib.store import imports as records

    item, client, table = planned
    level = [[0, 2], [2, 3]]
    assert import_parts.claim_level(
        client, table, item, owner="plan-1", level=0, parts=level, by="plan"
    )
    assert import_parts.count_group(
        client, table, item, owner="plan-1", part=0, index=0, rows=7, lost=0
    )

    assert records.fail_under_way(item, owner="plan-1", message="stopped")

    assert not import_parts.count_group(
        client, table, item, owner="plan-1", part=2, index=2, rows=3, lost=0
    )
    assert not import_parts.claim_finish(
        client, table, item, owner="plan-1", by="2", delivery="m-2"
    )
    failed = records.get_import(item.tenant_id, item.id)
    assert (failed.status, failed.rows_done) == ("failed", 7)
