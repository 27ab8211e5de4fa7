"""The import record's bookkeeping of writes spread over workers: parts, levels, group counts.

Kept beside the record's own fields (store/imports.py) and written with the low-level client,
because each update names one part's entry of a map (``parts.<first group>``) and adds to
counters atomically. Fields: ``write_parts`` (per level, its parts as ``[first, end]`` group
ranges), ``parts`` (each queued part's next group), ``groups_done``, ``levels_queued`` and
``level_queuer`` (the part that queued the last level, so its retry can send it again), and
``finisher`` (the part that runs the finish).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.store.base import now_iso


@dataclass
class WriteProgress:
    """What the record says of an import's spread writes (see the module's docstring)."""

    levels: list[list[list[int]]]
    next_group: dict[int, int] = field(default_factory=dict)
    groups_done: int = 0
    levels_queued: int = 0
    level_queuer: str | None = None
    finisher: str | None = None
    status: str | None = None
    owner: str | None = None

    @property
    def groups_total(self) -> int:
        return sum(end - first for level in self.levels for first, end in level)

    def level_start(self, level: int) -> int:
        """Groups in the levels before ``level`` (the plan's groups are ordered by level)."""
        return sum(end - first for lv in self.levels[:level] for first, end in lv)


def _key(item: Any) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"{item.tenant_id}#IMPORT"}, "sk": {"S": item.id}}


def save_write_plan(
    client: Any, table: str, item: Any, *, owner: str, levels: list[list[list[int]]]
) -> bool:
    """Record the plan's parts by level, nothing counted or queued yet; False if ``owner`` no
    longer holds the import. (A plan made again after a crash records its parts again.)"""
    import json

    try:
        client.update_item(
            TableName=table,
            Key=_key(item),
            UpdateExpression=(
                "SET write_parts = :levels, parts = :none, groups_done = :zero, "
                "levels_queued = :zero, updated_at = :now REMOVE level_queuer, finisher"
            ),
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={
                ":levels": {"S": json.dumps(levels)},
                ":none": {"M": {}},
                ":zero": {"N": "0"},
                ":now": {"S": now_iso()},
                ":owner": {"S": owner},
            },
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True


def write_progress(client: Any, table: str, item: Any) -> WriteProgress | None:
    """The import's spread-write bookkeeping, read consistently; None for an import written
    by one worker in order (no parts recorded)."""
    import json

    found = client.get_item(
        TableName=table,
        Key=_key(item),
        ConsistentRead=True,
        ProjectionExpression=(
            "write_parts, parts, groups_done, levels_queued, level_queuer, finisher, "
            "#status, #owner"
        ),
        ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
    ).get("Item", {})
    if "write_parts" not in found:
        return None

    def text(name: str) -> str | None:
        return found[name]["S"] if name in found else None

    return WriteProgress(
        levels=json.loads(found["write_parts"]["S"]),
        next_group={int(k): int(v["N"]) for k, v in found.get("parts", {}).get("M", {}).items()},
        groups_done=int(found.get("groups_done", {}).get("N", 0)),
        levels_queued=int(found.get("levels_queued", {}).get("N", 0)),
        level_queuer=text("level_queuer"),
        finisher=text("finisher"),
        status=text("status"),
        owner=text("owner"),
    )


def claim_level(
    client: Any, table: str, item: Any, *, owner: str, level: int, parts: list[list[int]], by: str
) -> bool:
    """Take the queuing of ``level`` for ``by`` (levels_queued ``level`` → ``level + 1``),
    each of its parts starting at its first group; False if another took it first or the
    import is no longer under way for ``owner``."""
    names = {"#owner": "owner", "#status": "status"}
    values: dict[str, Any] = {
        ":level": {"N": str(level)},
        ":next": {"N": str(level + 1)},
        ":by": {"S": by},
        ":owner": {"S": owner},
        ":running": {"S": "running"},
        ":now": {"S": now_iso()},
    }
    sets = ["levels_queued = :next", "level_queuer = :by", "updated_at = :now"]
    for n, (first, _) in enumerate(parts):
        names[f"#p{n}"] = str(first)
        values[f":f{n}"] = {"N": str(first)}
        sets.append(f"parts.#p{n} = :f{n}")
    try:
        client.update_item(
            TableName=table,
            Key=_key(item),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=(
                "levels_queued = :level AND #owner = :owner AND #status = :running"
            ),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True


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
) -> int | None:
    """Count group ``index`` of ``part`` as written: the part's next group moves past it and
    ``groups_done``, ``rows_done`` and ``rows_lost`` grow, in one conditional update, so a
    group written again (a retry, a duplicate delivery) is counted once. Returns
    ``groups_done`` after it; None when the group was counted already or the import is no
    longer under way for ``owner`` (the caller stops)."""
    try:
        reply = client.update_item(
            TableName=table,
            Key=_key(item),
            UpdateExpression=(
                "SET parts.#part = :next, updated_at = :now "
                "ADD groups_done :one, rows_done :rows, rows_lost :lost"
            ),
            ConditionExpression=("parts.#part = :index AND #owner = :owner AND #status = :running"),
            ExpressionAttributeNames={"#part": str(part), "#owner": "owner", "#status": "status"},
            ExpressionAttributeValues={
                ":next": {"N": str(index + 1)},
                ":index": {"N": str(index)},
                ":one": {"N": "1"},
                ":rows": {"N": str(rows)},
                ":lost": {"N": str(lost)},
                ":owner": {"S": owner},
                ":running": {"S": "running"},
                ":now": {"S": now_iso()},
            },
            ReturnValues="UPDATED_NEW",
        )
    except client.exceptions.ConditionalCheckFailedException:
        return None
    return int(reply["Attributes"]["groups_done"]["N"])


def claim_finish(client: Any, table: str, item: Any, *, owner: str, by: str) -> bool:
    """Take the import's finish for ``by`` (or keep it: the same part retried); False when
    another part holds it or the import is no longer under way for ``owner``."""
    try:
        client.update_item(
            TableName=table,
            Key=_key(item),
            UpdateExpression="SET finisher = :by",
            ConditionExpression=(
                "(attribute_not_exists(finisher) OR finisher = :by) "
                "AND #owner = :owner AND #status = :running"
            ),
            ExpressionAttributeNames={"#owner": "owner", "#status": "status"},
            ExpressionAttributeValues={
                ":by": {"S": by},
                ":owner": {"S": owner},
                ":running": {"S": "running"},
            },
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True
