"""The undo use case: plan from the ledger and the register, then revert group by group from a
checkpoint, through the store functions the API writes with, and close the import ``undone``.

Like an import, an undo is claimed by one delivery, keeps its stored plan in S3
(``work/<tenant>/<id>/undo.jsonl.gz``) and its checkpoint on the record, and resumes there
after a crash or in a follow-on message. Each action checks the record's version again as it
writes, so a change made after planning is a conflict too, and an action already done by an
earlier try is recognised (the record gone, or put back by ``UNDO_BY``) and counted as done.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.domain.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from chalicelib.imports.ports import Ports
from chalicelib.imports.undo.plan import ENTITIES, UNDO_BY, plan_undo, touches_of
from chalicelib.store import imports as records
from chalicelib.store.base import now_iso

log = logging.getLogger("sitebook.imports")

ACTIONS_PER_CHECKPOINT = 25
# Actions of a group written at once: each is a read and a transaction, latency-bound.
WORKERS = 4
WROTE = ("created", "updated")


def undo_plan_key(item: Any) -> str:
    return f"work/{item.tenant_id}/{item.id}/undo.jsonl.gz"


def undo_report_key(item: Any) -> str:
    return f"{records.results_prefix(item.tenant_id, item.id)}undo.json"


def run_undo(
    tenant_id: str, import_id: str, ports: Ports, *, owner: str, has_time: Callable[[], bool]
) -> bool:
    """Run or resume the import's undo; False when it paused for a follow-on (time ran short).

    A dry run plans, reports and stops; nothing but its report is written.
    """
    try:
        item = records.get_import(tenant_id, import_id)
    except NotFound:
        return True
    undo = dict(item.undo or {})
    if undo.get("status") not in ("queued", "running"):
        return True  # a duplicate delivery of an undo already done
    if not records.claim_undo(item, owner=owner):
        log.info("undo of %s runs for another delivery; this one does nothing", import_id)
        return True
    item.refresh(consistent_read=True)
    undo = dict(item.undo)
    if item.undo_checkpoint is None:
        plan = _planned(item)
        undo.update(
            status="running",
            planned=plan.counts(),
            counts=_counts(plan),
            conflicts=plan.conflicts[: records.MAX_ERRORS_KEPT],
            conflicts_total=len(plan.conflicts),
        )
        _upload_json(
            ports,
            undo_report_key(item),
            {"import_id": item.id, **undo, "conflicts": plan.conflicts},
        )
        undo["report_key"] = undo_report_key(item)
        if undo.get("dry_run"):
            undo.update(status="done", finished_at=now_iso())
            records.save_undo(item, owner=owner, undo=undo)
            return True
        groups = list(checkpoint_groups(plan.actions))
        _store_plan(ports, item, groups)
        undo["groups_total"] = len(groups)
        if not records.save_undo(item, owner=owner, undo=undo, undo_checkpoint=0):
            return True
        item.refresh(consistent_read=True)
    return _revert_from_checkpoint(item, ports, owner=owner, has_time=has_time)


def checkpoint_groups(actions: list[dict[str, Any]], size: int | None = None):
    """The planned actions in groups of ``size``, a group never spanning two phases (restores,
    contact removals, equipment removals, customer removals, lookups), so its actions are
    independent and run side by side."""
    size = size or ACTIONS_PER_CHECKPOINT
    group: list[dict[str, Any]] = []
    for action in actions:
        if group and (len(group) == size or _phase(group[-1]) != _phase(action)):
            yield group
            group = []
        group.append(action)
    if group:
        yield group


def _phase(action: dict[str, Any]) -> str:
    return "restore" if action["do"] == "restore" else action["entity"]


def _revert_from_checkpoint(item, ports: Ports, *, owner: str, has_time) -> bool:
    undo = dict(item.undo)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "undo.jsonl.gz")
        ports.s3.download_file(ports.settings.bucket_name, undo_plan_key(item), path)
        with gzip.open(path, "rt") as lines:
            for index, line in enumerate(lines):
                if index < item.undo_checkpoint:
                    continue
                if not has_time():
                    return False
                counts = {k: dict(v) for k, v in undo["counts"].items()}
                found = []
                actions = json.loads(line)
                with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                    outcomes = list(pool.map(lambda a: apply_action(item.tenant_id, a), actions))
                for action, conflict in zip(actions, outcomes, strict=True):
                    tally = counts[action["entity"]]
                    if conflict is None:
                        tally["removed" if action["do"] == "remove" else "restored"] += 1
                    else:
                        tally["conflicts"] += 1
                        found.append(conflict)
                ports.after_batch(index)
                conflicts = undo["conflicts"] + found
                undo.update(
                    counts=counts,
                    conflicts=conflicts[: records.MAX_ERRORS_KEPT],
                    conflicts_total=undo["conflicts_total"] + len(found),
                    written_conflicts=(undo.get("written_conflicts", []) + found)[
                        : records.MAX_ERRORS_KEPT
                    ],
                )
                if not records.save_undo(item, owner=owner, undo=undo, undo_checkpoint=index + 1):
                    return True
    _finish(item, ports, owner, undo)
    return True


def _finish(item, ports: Ports, owner: str, undo: dict[str, Any]) -> None:
    """Every group is reverted: the report completed, the import ``undone``, the plan dropped."""
    report = _download_json(ports, undo_report_key(item))
    report.update({k: v for k, v in undo.items() if k not in ("conflicts", "written_conflicts")})
    report["conflicts"] = report.get("conflicts", []) + undo.get("written_conflicts", [])
    report.update(status="done")
    _upload_json(ports, undo_report_key(item), report)
    undo = {k: v for k, v in undo.items() if k != "written_conflicts"}
    undo.update(status="done", finished_at=now_iso())
    records.save_undo(item, owner=owner, undo=undo, status="undone")
    ports.s3.delete_object(Bucket=ports.settings.bucket_name, Key=undo_plan_key(item))


def fail_undo(tenant_id: str, import_id: str, owner: str, error: Exception) -> None:
    """End the undo ``owner`` holds as ``failed``, naming the error; asking again resumes it."""
    try:
        item = records.get_import(tenant_id, import_id)
    except NotFound:
        return
    undo = dict(item.undo or {})
    undo.update(
        status="failed",
        message=f"The undo stopped on an unexpected error ({type(error).__name__}); ask for it "
        "again to finish it (what it already reverted stays reverted).",
    )
    records.save_undo(item, owner=owner, undo=undo, undo_owner=None)


def _counts(plan) -> dict[str, dict[str, int]]:
    """The counts an undo starts from: the conflicts found in planning, and per entity the
    records an earlier try already reverted (``already_undone``)."""
    counts = {
        e: {"removed": 0, "restored": 0, "conflicts": 0, "already_undone": 0} for e in ENTITIES
    }
    for conflict in plan.conflicts:
        counts[conflict["entity"]]["conflicts"] += 1
    for entity, done in plan.already.items():
        counts[entity]["already_undone"] = done
    return counts


# ------------------------------------------------------------------ reading the register


def _planned(item):
    """The undo's plan: the ledger's touched records, read as they are now."""
    from chalicelib.store.import_rows import iter_rows, lookups_created
    from chalicelib.store.lookups import all_lookups

    # In file order: a record two rows touch (a contact created, then demoted) merges in order.
    entries = (e for e in iter_rows(item.tenant_id, item.id) if e["outcome"] in WROTE)
    touches = touches_of(entries)
    noted = lookups_created(item.tenant_id, item.id)
    kinds = {n["kind"] for n in noted}
    current = _current(
        item.tenant_id, touches, every_child="contact-roles" in kinds or "equipment-types" in kinds
    )
    lookups = {
        found.id: {
            "id": found.id,
            "kind": found.kind,
            "name": found.name,
            "version": int(found.version),
        }
        for kind in kinds
        for found in all_lookups(item.tenant_id, kind)
    }
    plan = plan_undo(touches, current, noted, lookups)
    for action in plan.actions:  # what a removal deletes is the record as planned
        if action["do"] == "remove" and action["entity"] != "lookup":
            action["record"] = current[action["entity"]][action["id"]]
    return plan


def _current(tenant_id: str, touches, *, every_child: bool) -> dict[str, dict[str, dict]]:
    """Every customer of the tenant, and the contacts and equipment of the customers the import
    touched: one Query of each one's partition, or, for many (or when a created role or type
    must be checked for users), the tenant's two collections (as the importer loads children)."""
    from chalicelib.store.children import collection_items
    from chalicelib.store.contacts import ContactItem
    from chalicelib.store.customers import customer_pk, load_customer_index
    from chalicelib.store.equipment import EquipmentItem
    from chalicelib.store.import_writes import ImportRecordWriter

    customers = {c.id: c.record for c in load_customer_index(tenant_id)}
    children: dict[str, dict[str, dict]] = {"contact": {}, "equipment": {}}
    models = {ContactItem.PREFIX: ContactItem, EquipmentItem.PREFIX: EquipmentItem}

    def keep(item) -> None:
        record = {**item.to_record(), "updated_by": item.updated_by}
        children[item.ENTITY][item.id] = record

    owners = {t.record_id if t.entity == "customer" else t.customer_id for t in touches.values()}
    owners.discard(None)
    if every_child or len(owners) > ImportRecordWriter.PER_CUSTOMER_LIMIT:
        for model in models.values():
            for item in collection_items(model, tenant_id):
                keep(item)
    else:
        from chalicelib import aws
        from chalicelib.settings import get_settings

        pages = aws.client("dynamodb").get_paginator("query")
        for customer_id in sorted(owners):
            for page in pages.paginate(
                TableName=get_settings().table_name,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": customer_pk(tenant_id, customer_id)}},
            ):
                for raw in page["Items"]:
                    prefix = raw["sk"]["S"].split("#", 1)[0] + "#"
                    if prefix in models:
                        keep(models[prefix].from_raw_data(raw))
    return {"customer": customers, **children}


# ------------------------------------------------------------------ writing


def apply_action(tenant_id: str, action: dict[str, Any]) -> dict[str, Any] | None:
    """Do one planned action with the API's store functions; None when done (now or by an
    earlier try), else the conflict that stopped it."""
    where = {
        k: action.get(k) for k in ("entity", "id", "sheet", "row", "kind", "name") if k in action
    }
    try:
        if action["entity"] == "lookup":
            return _remove_lookup(tenant_id, action, where)
        if action["do"] == "remove":
            return _remove(tenant_id, action, where)
        return _restore(tenant_id, action, where)
    except (PreconditionFailed, Conflict, ValidationFailed) as exc:
        return {**where, "reason": f"not undone: {exc.detail}"}


def _stored(tenant_id: str, entity: str, record_id: str, customer_id: str | None):
    """(the stored item, its record with updated_by) or (None, None)."""
    from chalicelib.store.contacts import ContactItem
    from chalicelib.store.customers import CustomerItem, customer_pk
    from chalicelib.store.equipment import EquipmentItem

    if entity == "customer":
        model, pk, sk = CustomerItem, customer_pk(tenant_id, record_id), "CUSTOMER"
    else:
        model = ContactItem if entity == "contact" else EquipmentItem
        pk, sk = customer_pk(tenant_id, customer_id or ""), model.PREFIX + record_id
    try:
        item = model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        return None, None
    return item, {**item.to_record(), "updated_by": item.updated_by}


def _remove(tenant_id: str, action: dict, where: dict) -> dict | None:
    """Delete the record as planned (its claims and search tokens with it), on its version; a
    refusal is read out: gone already (an earlier try), or changed since (a conflict)."""
    from chalicelib.store.contacts import ContactItem, remove_contact
    from chalicelib.store.customers import customer_removal_ops
    from chalicelib.store.equipment import EquipmentItem, remove_equipment
    from chalicelib.store.records import transact

    record, entity = action["record"], action["entity"]
    try:
        if entity == "customer":
            if _holds_children(tenant_id, action["id"]):
                return {**where, "reason": "has contacts or equipment added since the import"}
            transact(customer_removal_ops(tenant_id, record))
        elif entity == "contact":
            remove_contact(_child(ContactItem, tenant_id, record))
        else:
            remove_equipment(tenant_id, _child(EquipmentItem, tenant_id, record))
    except PreconditionFailed:
        item, now = _stored(tenant_id, entity, action["id"], action.get("customer_id"))
        if item is None:
            return None  # gone already: an earlier try removed it
        return {**where, "reason": f"changed since the undo was planned (version {now['version']})"}
    return None


def _child(model, tenant_id: str, record: dict):
    """The stored child's item as far as its removal needs: keys, version, number, and the
    names its search entries were made from (store.search_entries: removed with it)."""
    values = {"version": record["version"]}
    for field in ("equipment_number", "first_name", "last_name"):
        if record.get(field):
            values[field] = record[field]
    return model.new(tenant_id, record["customer_id"], record["id"], **values)


def _restore(tenant_id: str, action: dict, where: dict) -> dict | None:
    from chalicelib.store.contacts import save_contact
    from chalicelib.store.customers import save_customer
    from chalicelib.store.equipment import save_equipment

    item, now = _stored(tenant_id, action["entity"], action["id"], action.get("customer_id"))
    if item is None:
        return {**where, "reason": "deleted since the import"}
    fields = action["fields"]
    restored = {**now, **fields}
    if (
        now.get("updated_by") == UNDO_BY
        and int(now["version"]) == action["version"] + 1
        and all(now.get(k) == v for k, v in fields.items())
    ):
        return None  # put back by an earlier try
    if int(now["version"]) != action["version"]:
        return {**where, "reason": f"changed since the undo was planned (version {now['version']})"}
    if action["entity"] == "customer":
        save_customer(tenant_id, restored, now, UNDO_BY)
    elif action["entity"] == "contact":
        save_contact(item, restored, by=UNDO_BY)
    else:
        save_equipment(tenant_id, item, restored, UNDO_BY)
    return None


def _holds_children(tenant_id: str, customer_id: str) -> bool:
    """Whether anything but the customer itself is in its partition (one Query, ≤ 2 items)."""
    from chalicelib.store.customers import CustomerItem, customer_pk

    items = CustomerItem.query(customer_pk(tenant_id, customer_id), limit=2)
    return any(i.sk != "CUSTOMER" for i in items)


def _remove_lookup(tenant_id: str, action: dict, where: dict) -> dict | None:
    from chalicelib.domain.lookups import lookup_kind
    from chalicelib.store.lookups import get_lookup, remove_lookup

    try:
        item = get_lookup(tenant_id, lookup_kind(action["kind"]), action["id"])
    except NotFound:
        return None
    if int(item.version) != action["version"]:
        return {**where, "reason": "changed since the undo was planned"}
    remove_lookup(tenant_id, item)
    return None


# ------------------------------------------------------------------ S3


def _store_plan(ports: Ports, item, groups: list[list[dict]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "undo.jsonl.gz")
        with gzip.open(path, "wt") as out:
            for group in groups:
                out.write(json.dumps(group, separators=(",", ":"), default=str) + "\n")
        ports.s3.upload_file(path, ports.settings.bucket_name, undo_plan_key(item))


def _upload_json(ports: Ports, key: str, data: dict) -> None:
    ports.s3.put_object(
        Bucket=ports.settings.bucket_name,
        Key=key,
        Body=json.dumps(data, default=str).encode(),
        ContentType="application/json",
    )


def _download_json(ports: Ports, key: str) -> dict:
    body = ports.s3.get_object(Bucket=ports.settings.bucket_name, Key=key)["Body"].read()
    return json.loads(body)
