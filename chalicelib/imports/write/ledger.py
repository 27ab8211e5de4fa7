"""A row's ledger entry: what the import did to it, with every changed field's before and after.

Pure: built from the planner's outcome and the record as written. The entry travels in the
stored plan beside the row's own records (its head; the changes are found from the records
when the group is written) and is written in the same checkpoint group, so the ledger holds
what was written, not what was planned; a writer that finds at write time that
a row lost (its writes refused) replaces the entry with ``lost_at_write`` — the one hook.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.records import BOOKKEEPING_FIELDS
from chalicelib.imports.plan.planner import RowError, RowOutcome

# Not compared: the record's identity and what every write stamps.
_NOT_CHANGES = frozenset(("id", *BOOKKEEPING_FIELDS))


def ledger_entry(outcome: RowOutcome, record: dict[str, Any] | None) -> dict[str, Any]:
    """The entry of one row: ``{sheet, row, target, entity, outcome, warned, record_id,
    customer_id, version, errors, warnings, changes, also}``.

    ``record`` is the record as written (a created customer with its number); ``version`` the
    record's version after the write (undo touches it only while it is still there);
    ``changes`` maps each field the row set to ``{"before", "after"}`` (a created record's
    every value, before None); ``customer_id``
    is a child's customer or a customer's billing customer (what a later import builds on);
    ``also`` lists the other records the row changed (a default contact it took over from).

    Made in two halves: ``entry_head`` when the row is planned, ``completed_entry`` from the
    records the row writes, which a stored plan carries to the write stage.
    """
    return completed_entry(entry_head(outcome, record), written_records(outcome, record))


def written_records(outcome: RowOutcome, record: dict[str, Any] | None) -> list[list] | None:
    """``[entity, record as written, previous]`` of each record a row writes, its own first,
    then each other record it changes; None for a row that writes nothing (unchanged,
    failed). What a stored plan carries of the row (batches.RowWrite.records)."""
    if outcome.action not in ("created", "updated"):
        return None
    return [[outcome.entity, record, outcome.previous], *map(list, outcome.extra)]


def entry_head(outcome: RowOutcome, record: dict[str, Any] | None) -> dict[str, Any]:
    """What of ``ledger_entry`` the row's records do not give: every field but ``changes``
    and ``also``."""
    written = outcome.action in ("created", "updated")
    record = record if written else (outcome.record or outcome.previous)
    return {
        "sheet": outcome.row.sheet,
        "row": outcome.row.row,
        "target": outcome.row.target,
        "entity": outcome.entity,
        "outcome": outcome.action,
        "warned": bool(outcome.warnings) and outcome.action != "failed",
        "record_id": (record or {}).get("id") if outcome.action != "failed" else None,
        "customer_id": _parent_of(outcome.entity, record) if record else None,
        "version": _version_after(outcome.action, outcome.previous),
        "errors": [_problem(e) for e in outcome.errors],
        "warnings": [_problem(w) for w in outcome.warnings],
    }


def completed_entry(head: dict[str, Any], records: list | None) -> dict[str, Any]:
    """``head`` (entry_head) with ``changes`` and ``also`` from the row's ``records``:
    ``[entity, record as written, previous]`` of its own record, then of each other record it
    changes (None: the row writes nothing)."""
    if not records:
        return {**head, "changes": {}, "also": []}
    (_, record, previous), *extra = records
    also = [
        {
            "entity": entity,
            "outcome": "updated" if before else "created",
            "record_id": other["id"],
            "customer_id": _parent_of(entity, other),
            "version": _version_after("updated" if before else "created", before),
            "changes": changes(before, other),
        }
        for entity, other, before in extra
    ]
    return {**head, "changes": changes(previous, record), "also": also}


def lost_at_write(entry: dict[str, Any], message: str) -> dict[str, Any]:
    """The entry of a row whose writes were refused when written (e.g. a record changed by
    someone else meanwhile): ``failed`` with ``message``, nothing recorded as done."""
    return {
        **entry,
        "outcome": "failed",
        "warned": False,
        "record_id": None,
        "version": None,
        "changes": {},
        "also": [],
        "errors": [*entry.get("errors", []), {"column": "", "value": None, "message": message}],
    }


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """``{field: {"before", "after"}}`` for each top-level field whose value differs."""
    before, after = before or {}, after or {}
    found = {}
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        # equal values are never a change: only unequal ones are compared as absences
        if old != new and key not in _NOT_CHANGES and _blank(old) != _blank(new):
            found[key] = {"before": old, "after": new}
    return found


def _blank(value: Any) -> Any:
    """None and an empty map or list are the same absence (the store drops empty maps)."""
    return None if value in (None, {}, []) else value


def _version_after(action: str, previous: dict[str, Any] | None) -> int | None:
    if action == "created":
        return 1
    if action == "updated":
        return int(previous["version"]) + 1 if previous else 1
    if action == "unchanged" and previous:
        return int(previous["version"])
    return None


def _parent_of(entity: str, record: dict[str, Any]) -> str | None:
    if entity == "customer":
        return (record.get("billing") or {}).get("billing_customer_id")
    return record.get("customer_id")


def _problem(error: RowError) -> dict[str, Any]:
    data = error.to_dict()
    return {"column": data["column"], "value": data["value"], "message": data["message"]}
