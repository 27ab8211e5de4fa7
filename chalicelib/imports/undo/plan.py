"""The undo's decisions (pure): from an import's ledger and the register as it is now, what to
restore, what to remove and what to leave alone as a conflict.

A record is reverted only while it is exactly as the import left it (its version). A created
customer goes only with everything under it: a contact, equipment or site it gained since (or
that undo must keep) keeps it too. A created lookup goes only when nothing that stays uses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_VALUE_SHOWN = 200
# updated_by of what an undo writes: a resumed undo knows a record it already restored.
UNDO_BY = "import-undo"
ENTITIES = ("customer", "contact", "equipment", "lookup")
# Lookup kinds an import creates, and the record field that uses each.
LOOKUP_USES = {
    "customer-types": ("customer", "customer_type_id"),
    "lead-sources": ("customer", "lead_source_id"),
    "contact-roles": ("contact", "role_id"),
    "equipment-types": ("equipment", "equipment_type_id"),
}


@dataclass
class Touch:
    """What one import did to one record, its rows' ledger entries merged in file order."""

    entity: str
    record_id: str
    created: bool
    version: int  # the record's version when the import was done with it
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)  # field → {before, after}
    customer_id: str | None = None  # a contact's or equipment's customer
    sheet: str | None = None
    row: int | None = None

    def where(self) -> dict[str, Any]:
        return {"entity": self.entity, "id": self.record_id, "sheet": self.sheet, "row": self.row}


def touches_of(entries: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Touch]:
    """Every record the import created or updated (rows and their ``also``), merged per record:
    created if its first touch created it, the last touch's version, each field's first before
    and last after."""
    touches: dict[tuple[str, str], Touch] = {}
    for entry in entries:
        if entry["outcome"] not in ("created", "updated"):
            continue
        parts = [entry, *(entry.get("also") or [])]
        for part in parts:
            key = (part["entity"], part["record_id"])
            touch = touches.get(key)
            if touch is None:
                touch = touches[key] = Touch(
                    part["entity"],
                    part["record_id"],
                    part["outcome"] == "created",
                    part["version"],
                    customer_id=part.get("customer_id"),
                    sheet=entry["sheet"],
                    row=entry["row"],
                )
            touch.version = part["version"]
            for name, change in (part.get("changes") or {}).items():
                merged = touch.changes.setdefault(name, dict(change))
                merged["after"] = change["after"]
    return touches


@dataclass
class UndoPlan:
    """What the undo does, in order (restores, then removals children first, then lookups), and
    what it leaves: ``conflicts`` with the fields that differ."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    already: dict[str, int] = field(default_factory=dict)  # entity → reverted by an earlier try

    def counts(self) -> dict[str, dict[str, int]]:
        """Per entity: ``restore``, ``remove`` (to do) and ``conflicts``."""
        counts = {e: {"restore": 0, "remove": 0, "conflicts": 0} for e in ENTITIES}
        for action in self.actions:
            counts[action["entity"]][action["do"]] += 1
        for conflict in self.conflicts:
            counts[conflict["entity"]]["conflicts"] += 1
        return counts


def plan_undo(
    touches: dict[tuple[str, str], Touch],
    current: dict[str, dict[str, dict[str, Any]]],
    lookups_created: list[dict[str, Any]],
    current_lookups: dict[str, dict[str, Any]],
) -> UndoPlan:
    """Decide every touched record and created lookup.

    ``current``: entity → id → the record as stored now, for every touched record that still
    exists and every customer, contact and equipment that could hold one (the customers of
    the tenant; the children of touched customers; every child when a created contact role or
    equipment type must be checked). ``current_lookups``: id → ``{id, kind, name, version}``.
    """
    plan = UndoPlan()
    decided: dict[tuple[str, str], str] = {}  # remove | restore | kept | done
    after: dict[tuple[str, str], dict[str, Any] | None] = {}  # what undo leaves, by record
    for key, touch in touches.items():
        now = current.get(touch.entity, {}).get(touch.record_id)
        if now is None and touch.created:
            decided[key], after[key] = "done", None
        elif now is None:
            plan.conflicts.append({**touch.where(), "reason": "deleted since the import"})
            decided[key], after[key] = "kept", None
        elif _already_restored(touch, now):
            decided[key], after[key] = "done", now
        elif int(now["version"]) != touch.version:
            plan.conflicts.append(_changed_since(touch, now))
            decided[key], after[key] = "kept", now
        elif touch.created:
            decided[key], after[key] = "remove", None
        else:
            decided[key] = "restore"
            after[key] = {**now, **{k: c["before"] for k, c in touch.changes.items()}}
    _keep_parents_of_kept_children(touches, current, after, decided, plan)
    for key, touch in touches.items():
        if decided[key] == "remove":
            plan.actions.append(_action("remove", touch))
        elif decided[key] == "restore":
            fields = {k: c["before"] for k, c in touch.changes.items()}
            plan.actions.append({**_action("restore", touch), "fields": fields})
        elif decided[key] == "done":
            plan.already[touch.entity] = plan.already.get(touch.entity, 0) + 1
    plan.actions.sort(key=_order)
    _plan_lookups(plan, lookups_created, current_lookups, current, after)
    return plan


def _already_restored(touch: Touch, now: dict[str, Any]) -> bool:
    """An updated record an earlier try of this undo put back (it wrote the next version)."""
    return (
        not touch.created
        and now.get("updated_by") == UNDO_BY
        and int(now["version"]) == touch.version + 1
        and all(_same(now.get(k), c["before"]) for k, c in touch.changes.items())
    )


def _changed_since(touch: Touch, now: dict[str, Any]) -> dict[str, Any]:
    differ = [
        {
            "field": name,
            "import_value": _shown(change["after"]),
            "current_value": _shown(now.get(name)),
        }
        for name, change in touch.changes.items()
        if not _same(now.get(name), change["after"])
    ]
    return {
        **touch.where(),
        "reason": f"changed since the import (version {touch.version} → {now['version']})",
        "fields": differ,
    }


def _keep_parents_of_kept_children(touches, current, after, decided, plan) -> None:
    """A created customer to remove stays (a conflict) while anything under it stays: a contact
    or equipment, a site billed to it. Repeated until nothing more must stay."""
    under = _records_under(current, after)
    changed = True
    while changed:
        changed = False
        for key, touch in touches.items():
            if touch.entity != "customer" or decided[key] != "remove":
                continue
            staying: dict[str, int] = {}
            for label, held in under.get(touch.record_id, ()):
                if after.get(held, current[held[0]][held[1]]) is not None:
                    staying[label] = staying.get(label, 0) + 1
            if staying:
                holders = ", ".join(f"{n} {label}" for label, n in staying.items())
                plan.conflicts.append(
                    {**touch.where(), "reason": f"has records added since the import: {holders}"}
                )
                decided[key], after[key] = "kept", current["customer"][touch.record_id]
                changed = True


def _records_under(current: dict, after: dict) -> dict[str, list[tuple[str, tuple[str, str]]]]:
    """customer id → ``(label, (entity, id))`` of the contacts, equipment and sites under it,
    linked as they will be once undo is done (a restored record by its before values)."""
    under: dict[str, list[tuple[str, tuple[str, str]]]] = {}
    for entity, label in (
        ("contact", "contact(s)"),
        ("equipment", "equipment"),
        ("customer", "site(s)"),
    ):
        for record_id, record in current.get(entity, {}).items():
            key = (entity, record_id)
            stays = after.get(key) or record
            if entity == "customer":
                parent = (stays.get("billing") or {}).get("billing_customer_id")
            else:
                parent = stays.get("customer_id")
            if parent and parent != record_id:
                under.setdefault(parent, []).append((label, key))
    return under


def _plan_lookups(plan, lookups_created, current_lookups, current, after) -> None:
    for noted in lookups_created:
        if not noted.get("id"):
            continue
        where = {
            "entity": "lookup",
            "id": noted["id"],
            "kind": noted["kind"],
            "name": noted["name"],
        }
        lookup = current_lookups.get(noted["id"])
        if lookup is None:
            plan.already["lookup"] = plan.already.get("lookup", 0) + 1
            continue
        if int(lookup["version"]) != 1:
            plan.conflicts.append({**where, "reason": "changed since the import"})
            continue
        entity, attribute = LOOKUP_USES.get(noted["kind"], (None, None))
        users = [
            record_id
            for record_id, record in current.get(entity or "", {}).items()
            if (after.get((entity, record_id), record) or {}).get(attribute) == noted["id"]
        ]
        if users:
            plan.conflicts.append(
                {**where, "reason": f"still used by {len(users)} {entity} record(s)"}
            )
            continue
        plan.actions.append({"do": "remove", **where, "version": 1})


def _action(do: str, touch: Touch) -> dict[str, Any]:
    return {"do": do, **touch.where(), "customer_id": touch.customer_id, "version": touch.version}


# Restores first (a record put back may point at one about to go), then removals children
# before their customers, sites before customers that bill them, lookups last.
_ORDER = {("restore", e): i for i, e in enumerate(("customer", "contact", "equipment"))} | {
    ("remove", "contact"): 3,
    ("remove", "equipment"): 4,
    ("remove", "customer"): 5,
}


def _order(action: dict[str, Any]) -> int:
    return _ORDER[(action["do"], action["entity"])]


def _shown(value: Any) -> Any:
    """A value as a conflict repeats it: long text cut (the record keeps 100 conflicts)."""
    if isinstance(value, str) and len(value) > MAX_VALUE_SHOWN:
        return value[: MAX_VALUE_SHOWN - 1] + "…"
    return value


def _same(a: Any, b: Any) -> bool:
    blank = (None, {}, [], "")
    return (a in blank and b in blank) or a == b
