"""The bookkeeping of an import's writes spread over workers: parts, levels, group counts,
kept on a small counter item beside the import record.

The plan's parts by level (``write_parts``: per level, its parts as ``[first, end]`` group
ranges) are written once on the import record. Everything counted or claimed while the parts
write lives on the counter item, ``pk=<tenant>#IMPORT``, ``sk=<import id>#COUNTER``: ``parts``
(each queued part's next group), ``groups_done``, ``rows_done``, ``rows_lost``,
``levels_queued`` and ``level_queuer`` (the part that queued the last level, so its retry can
send it again), ``finisher`` and ``finishing`` (the part that runs the finish, and the id
of the message that runs it), ``owner`` (the delivery that
planned, which holds the import), ``stopped`` (set when the import fails, before the record
says so), ``progress_at`` (epoch seconds of the last progress: the plan stored, a level
queued, a group counted) and ``nudges``/``nudged_at`` (the watchdog's re-queues since that
progress, imports/watchdog.py). DynamoDB charges an update by the size of the whole item (1 WCU
per started KB): a few hundred bytes here, where the record (results, mapping, first errors)
is tens of KB (docs/decisions/import-write-scaling.md). The counter expires with the ledger
(``expires_at``, import_rows.LEDGER_DAYS) and is deleted once the import has finished.

Beside each counter, a **watch marker** in one partition of its own (``pk=#WATCH#IMPORTS``,
``sk=<tenant>#<import id>``; ``#`` never begins a tenant id) lets the scheduled watchdog find
the imports being written by parts with one Query, no Scan: put when the plan is stored,
deleted with the counter (or by the watchdog, once the import has ended otherwise).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.store.base import now_iso

COUNTER_SK = "#COUNTER"  # after the import id
# The partition of the watch markers: no tenant's (tenant ids are [A-Za-z0-9_-]), read by the
# watchdog only. Two writes per import written by parts (put, delete): far below a partition's
# 1,000 writes/s, so one partition, not shards.
WATCH_PK = "#WATCH#IMPORTS"


@dataclass
class WriteProgress:
    """An import's spread writes: its plan's levels (from the record), its counts and claims
    (from the counter), and the record's status and owner."""

    levels: list[list[list[int]]]
    next_group: dict[int, int] = field(default_factory=dict)
    groups_done: int = 0
    rows_done: int = 0
    rows_lost: int = 0
    levels_queued: int = 0
    level_queuer: str | None = None
    finisher: str | None = None
    status: str | None = None
    owner: str | None = None
    counter_owner: str | None = None  # the counter's: the planner's delivery it was put for
    stopped: bool = False
    progress_at: int = 0  # epoch seconds
    nudges: int = 0  # the watchdog's re-queues since progress_at
    nudged_at: int = 0

    @property
    def groups_total(self) -> int:
        return sum(end - first for level in self.levels for first, end in level)

    def level_start(self, level: int) -> int:
        """Groups in the levels before ``level`` (the plan's groups are ordered by level)."""
        return sum(end - first for lv in self.levels[:level] for first, end in lv)


@dataclass(frozen=True)
class Counted:
    """What the counter says of an import's written rows so far."""

    rows_done: int
    rows_lost: int
    groups_done: int


def _record_key(tenant_id: str, import_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"{tenant_id}#IMPORT"}, "sk": {"S": import_id}}


def counter_key(tenant_id: str, import_id: str) -> dict[str, dict[str, str]]:
    """The counter item's key: beside the import record, in its partition."""
    return {"pk": {"S": f"{tenant_id}#IMPORT"}, "sk": {"S": import_id + COUNTER_SK}}


def watch_key(tenant_id: str, import_id: str) -> dict[str, dict[str, str]]:
    """The watch marker's key: one partition for every tenant's imports written by parts."""
    return {"pk": {"S": WATCH_PK}, "sk": {"S": f"{tenant_id}#{import_id}"}}


def _expiry() -> int:
    from chalicelib.store.import_rows import LEDGER_DAYS

    return int(time.time()) + LEDGER_DAYS * 86_400


def save_write_plan(
    client: Any, table: str, item: Any, *, owner: str, levels: list[list[list[int]]]
) -> bool:
    """Record the plan's parts by level on the import record and put a fresh counter (nothing
    counted or queued yet); False if ``owner`` no longer holds the import. A plan made again
    after a crash records its parts and resets its counter again."""
    try:
        client.update_item(
            TableName=table,
            Key=_record_key(item.tenant_id, item.id),
            UpdateExpression="SET write_parts = :levels, updated_at = :now",
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={
                ":levels": {"S": json.dumps(levels)},
                ":now": {"S": now_iso()},
                ":owner": {"S": owner},
            },
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    zero = {"N": "0"}
    client.put_item(
        TableName=table,
        Item={
            **counter_key(item.tenant_id, item.id),
            "entity": {"S": "import_counter"},
            "owner": {"S": owner},
            "parts": {"M": {}},
            "groups_done": zero,
            "rows_done": zero,
            "rows_lost": zero,
            "levels_queued": zero,
            "progress_at": {"N": str(int(time.time()))},
            "expires_at": {"N": str(_expiry())},
        },
    )
    # After the counter: a crash before this re-plans (no checkpoint yet) and puts both again.
    client.put_item(
        TableName=table,
        Item={
            **watch_key(item.tenant_id, item.id),
            "entity": {"S": "import_watch"},
            "tenant_id": {"S": item.tenant_id},
            "import_id": {"S": item.id},
            "expires_at": {"N": str(_expiry())},
        },
    )
    return True


def write_progress(client: Any, table: str, item: Any) -> WriteProgress | None:
    """The import's spread-write bookkeeping, both items read consistently (two GetItems);
    None for an import written by one worker in order (no parts recorded) or whose counter is
    gone (the import finished)."""
    record = client.get_item(
        TableName=table,
        Key=_record_key(item.tenant_id, item.id),
        ConsistentRead=True,
        ProjectionExpression="write_parts, #status, #owner",
        ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
    ).get("Item", {})
    if "write_parts" not in record:
        return None
    found = _counter(client, table, item.tenant_id, item.id)
    if found is None:
        return None

    def text(source: dict, name: str) -> str | None:
        return source[name]["S"] if name in source else None

    return WriteProgress(
        levels=json.loads(record["write_parts"]["S"]),
        next_group={int(k): int(v["N"]) for k, v in found.get("parts", {}).get("M", {}).items()},
        groups_done=_number(found, "groups_done"),
        rows_done=_number(found, "rows_done"),
        rows_lost=_number(found, "rows_lost"),
        levels_queued=_number(found, "levels_queued"),
        level_queuer=text(found, "level_queuer"),
        finisher=text(found, "finisher"),
        status=text(record, "status"),
        owner=text(record, "owner"),
        counter_owner=text(found, "owner"),
        stopped="stopped" in found,
        progress_at=_number(found, "progress_at"),
        nudges=_number(found, "nudges"),
        nudged_at=_number(found, "nudged_at"),
    )


def _counter(client: Any, table: str, tenant_id: str, import_id: str) -> dict | None:
    return client.get_item(
        TableName=table, Key=counter_key(tenant_id, import_id), ConsistentRead=True
    ).get("Item")


def _number(found: dict, name: str) -> int:
    return int(found.get(name, {}).get("N", 0))


def _counted(found: dict) -> Counted:
    return Counted(
        _number(found, "rows_done"), _number(found, "rows_lost"), _number(found, "groups_done")
    )


def counted(client: Any, table: str, tenant_id: str, import_ids: list[str]) -> dict[str, Counted]:
    """Each of ``import_ids``' counted rows, by import id, for those with a counter (imports
    being written by parts, or failed while they were); one BatchGetItem per 100 ids,
    eventually consistent (progress shown, not decided on)."""
    found: dict[str, Counted] = {}
    for start in range(0, len(import_ids), 100):
        keys = [counter_key(tenant_id, i) for i in import_ids[start : start + 100]]
        request = {table: {"Keys": keys}}
        while request:
            reply = client.batch_get_item(RequestItems=request)
            for got in reply.get("Responses", {}).get(table, []):
                import_id = got["sk"]["S"].removesuffix(COUNTER_SK)
                found[import_id] = Counted(
                    _number(got, "rows_done"),
                    _number(got, "rows_lost"),
                    _number(got, "groups_done"),
                )
            request = reply.get("UnprocessedKeys") or {}
    return found


def claim_level(
    client: Any, table: str, item: Any, *, owner: str, level: int, parts: list[list[int]], by: str
) -> bool:
    """Take the queuing of ``level`` for ``by`` (levels_queued ``level`` → ``level + 1``),
    each of its parts starting at its first group; False if another took it first or the
    import is no longer under way for ``owner``."""
    names = {"#owner": "owner"}
    values: dict[str, Any] = {
        ":level": {"N": str(level)},
        ":next": {"N": str(level + 1)},
        ":by": {"S": by},
        ":owner": {"S": owner},
        ":now": {"N": str(int(time.time()))},
    }
    sets = ["levels_queued = :next", "level_queuer = :by", "progress_at = :now"]
    for n, (first, _) in enumerate(parts):
        names[f"#p{n}"] = str(first)
        values[f":f{n}"] = {"N": str(first)}
        sets.append(f"parts.#p{n} = :f{n}")
    return _update_counter(
        client,
        table,
        item,
        update="SET " + ", ".join(sets) + " REMOVE nudges",
        condition="levels_queued = :level AND #owner = :owner AND attribute_not_exists(stopped)",
        names=names,
        values=values,
    )


def count_group(
    client: Any,
    table: str,
    item: Any,
    *,
    owner: str,
    part: int,
    index: int,
    rows: int,
    lost: int,
) -> bool:
    """Count group ``index`` of ``part`` as written: the part's next group moves past it and
    ``groups_done``, ``rows_done`` and ``rows_lost`` grow, in one conditional update of the
    counter, so a group written again (a retry, a duplicate delivery) is counted once; it is
    progress (``progress_at`` now, the watchdog's ``nudges`` cleared). False when the group was
    counted already or the import is no longer under way for ``owner`` (the caller stops)."""
    return _update_counter(
        client,
        table,
        item,
        update=(
            "SET parts.#part = :next, progress_at = :now "
            "ADD groups_done :one, rows_done :rows, rows_lost :lost REMOVE nudges"
        ),
        condition=("parts.#part = :index AND #owner = :owner AND attribute_not_exists(stopped)"),
        names={"#part": str(part), "#owner": "owner"},
        values={
            ":next": {"N": str(index + 1)},
            ":index": {"N": str(index)},
            ":one": {"N": "1"},
            ":rows": {"N": str(rows)},
            ":lost": {"N": str(lost)},
            ":owner": {"S": owner},
            ":now": {"N": str(int(time.time()))},
        },
    )


def counted_last(client: Any, table: str, item: Any, *, owner: str, part: int, index: int) -> bool:
    """Whether group ``index`` is the last one ``part`` counted, on a counter ``owner`` still
    runs (a consistent read). A count whose reply was lost (a timeout) is sent again by
    botocore and then fails its own condition: the group is counted, and the part goes on,
    rather than stop with no message left to continue it."""
    found = _counter(client, table, item.tenant_id, item.id)
    if found is None or "stopped" in found or found.get("owner", {}).get("S") != owner:
        return False
    parts = found.get("parts", {}).get("M", {})
    return str(part) in parts and int(parts[str(part)]["N"]) == index + 1


def claim_finish(client: Any, table: str, item: Any, *, owner: str, by: str, delivery: str) -> bool:
    """Take the import's finish for part ``by`` run by message ``delivery`` (or keep it: that
    message's retry); False when another part or another copy of this part's message holds
    it (two copies at once would both finish), or the import is no longer under way for
    ``owner``."""
    return _update_counter(
        client,
        table,
        item,
        update="SET finisher = :by, finishing = :delivery",
        condition=(
            "(attribute_not_exists(finisher) OR (finisher = :by AND finishing = :delivery)) "
            "AND #owner = :owner AND attribute_not_exists(stopped)"
        ),
        names={"#owner": "owner"},
        values={":by": {"S": by}, ":delivery": {"S": delivery}, ":owner": {"S": owner}},
    )


def stop_counting(client: Any, table: str, item: Any, *, owner: str) -> Counted | None:
    """Stop every part of an import ``owner`` holds at its next group (the import is about to
    fail): no group is counted and no level or finish claimed after this. Returns what was
    counted; None when the import has no counter of ``owner``'s (written in order, not yet
    planned, finished, or another delivery's)."""
    try:
        reply = client.update_item(
            TableName=table,
            Key=counter_key(item.tenant_id, item.id),
            UpdateExpression="SET stopped = :yes",
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":yes": {"BOOL": True}, ":owner": {"S": owner}},
            ReturnValues="ALL_NEW",
        )
    except client.exceptions.ConditionalCheckFailedException:
        return None
    got = reply["Attributes"]
    return Counted(
        _number(got, "rows_done"), _number(got, "rows_lost"), _number(got, "groups_done")
    )


def delete_counter(client: Any, table: str, item: Any) -> None:
    """Drop the counter of a finished import (its counts are on the record now) and its watch
    marker (nothing is left to watch)."""
    client.delete_item(TableName=table, Key=counter_key(item.tenant_id, item.id))
    forget_watch(client, table, item.tenant_id, item.id)


def watched_imports(client: Any, table: str) -> Iterator[tuple[str, str]]:
    """``(tenant id, import id)`` of every import with a watch marker (being written by parts,
    or ended since and not yet forgotten): a paginated Query of the markers' partition."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": WATCH_PK}},
        "ProjectionExpression": "tenant_id, import_id",
    }
    while True:
        reply = client.query(**request)
        for found in reply.get("Items", []):
            yield found["tenant_id"]["S"], found["import_id"]["S"]
        if "LastEvaluatedKey" not in reply:
            return
        request["ExclusiveStartKey"] = reply["LastEvaluatedKey"]


def forget_watch(client: Any, table: str, tenant_id: str, import_id: str) -> None:
    """Drop an import's watch marker (it finished, failed or is gone)."""
    client.delete_item(TableName=table, Key=watch_key(tenant_id, import_id))


def record_nudge(
    client: Any, table: str, item: Any, *, owner: str, seen: WriteProgress, now: int
) -> bool:
    """Note on the counter that the watchdog re-queued the import's unfinished parts at
    ``now`` (epoch seconds): ``nudges`` one more than ``seen``'s. False when anything moved
    since ``seen`` was read (a group counted, a level queued, another nudge, the import
    stopped or no longer ``owner``'s): the caller then does nothing."""
    values: dict[str, Any] = {
        ":nudges": {"N": str(seen.nudges + 1)},
        ":now": {"N": str(now)},
        ":progress_at": {"N": str(seen.progress_at)},
        ":owner": {"S": owner},
    }
    if seen.nudges:
        values[":seen"] = {"N": str(seen.nudges)}
    return _update_counter(
        client,
        table,
        item,
        update="SET nudges = :nudges, nudged_at = :now",
        condition=(
            "progress_at = :progress_at AND "
            + ("nudges = :seen" if seen.nudges else "attribute_not_exists(nudges)")
            + " AND #owner = :owner AND attribute_not_exists(stopped)"
        ),
        names={"#owner": "owner"},
        values=values,
    )


def _update_counter(
    client: Any,
    table: str,
    item: Any,
    *,
    update: str,
    condition: str,
    names: dict[str, str],
    values: dict[str, Any],
) -> bool:
    """One conditional UpdateItem of the counter; False when its condition fails."""
    try:
        client.update_item(
            TableName=table,
            Key=counter_key(item.tenant_id, item.id),
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True
