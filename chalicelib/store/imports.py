"""Import records: status, progress, counts, first errors and the checkpoint, one per import."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.domain.errors import NotFound
from chalicelib.domain.import_status import ImportStatus
from chalicelib.settings import get_settings
from chalicelib.store.base import TableModel, bind, new_id, now_iso, query_page
from chalicelib.store.records import conditional_failed

FINISHED: tuple[ImportStatus, ...] = (
    "succeeded",
    "completed_with_warnings",
    "completed_with_errors",
    "failed",
    "expired",
)
# Statuses in which a delivery holds the import; an unexpected error ends these as failed.
UNDER_WAY: tuple[ImportStatus, ...] = ("queued", "analyzing", "running")
EXPIRED_MESSAGE = (
    "No file arrived before the upload link expired; create a new import to upload it."
)
LATE_MESSAGE = (
    "The file arrived after the upload link expired and was not imported; create a new import "
    "to upload it."
)
MAX_ERRORS_KEPT = 100
# Kept in ``undo`` for the worker, not shown: the report's S3 key (a link is), write-time conflicts.
_UNDO_INTERNAL = ("report_key", "written_conflicts")
# Finished imports an undo may revert (a failed one only if it wrote something: checkpoint set).
UNDOABLE = ("succeeded", "completed_with_warnings", "completed_with_errors", "failed")


class ImportItem(TableModel):
    id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    source = UnicodeAttribute()
    file_name = UnicodeAttribute()
    dry_run = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="queued")
    message = UnicodeAttribute(null=True)
    rows_total = NumberAttribute(default=0)
    rows_done = NumberAttribute(default=0)
    counts = JSONAttribute(default=dict)
    errors = JSONAttribute(default=list)
    errors_total = NumberAttribute(default=0)
    warnings = JSONAttribute(default=list)  # the first MAX_ERRORS_KEPT, the shape of errors
    warnings_total = NumberAttribute(default=0)
    # skip_value | fail_row as given with the import (None: not given), the value the run
    # used once it is planned (given, else the mapping's, else skip_value)
    on_invalid_value = UnicodeAttribute(null=True)
    # match_on, mode, blank_cells as given with the import (only those given), then the rules
    # the run used once it is planned (given, else the mapping's, else the defaults)
    match_rules = JSONAttribute(null=True)
    mapping = JSONAttribute(null=True)
    mapping_id = UnicodeAttribute(null=True)
    target = UnicodeAttribute(null=True)
    has_headers = BooleanAttribute(null=True)
    save_mapping_as = UnicodeAttribute(null=True)
    sheet = UnicodeAttribute(null=True)  # the workbook sheet chosen; None: the first with a table
    analysis = JSONAttribute(null=True)
    mapping_used = JSONAttribute(null=True)
    s3_key = UnicodeAttribute()
    object_etag = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    numbers = JSONAttribute(null=True)  # the customer-number block reserved: {"last", "count"}
    checkpoint = NumberAttribute(null=True)
    # Rows that lost a race while written (imports.write.rows); their errors and the customers
    # they left out are spooled beside the plan (imports.write.checkpoints.save_races)
    rows_lost = NumberAttribute(default=0)
    batches_total = NumberAttribute(null=True)
    result_keys = JSONAttribute(default=dict)
    # An upload that has not arrived by then never will (the presigned POST's expiry + grace).
    upload_deadline = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    # Who asked: {sub, client_id} of the token, or {"drop": <key>} for a partner's S3 drop.
    requested_by = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    # The last undo asked for (imports/undo/): {dry_run, force, status, counts, conflicts, ...};
    # its checkpoint and owner beside it, as the import's own.
    undo = JSONAttribute(null=True)
    undo_owner = UnicodeAttribute(null=True)
    undo_checkpoint = NumberAttribute(null=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "file_name": self.file_name,
            "dry_run": self.dry_run,
            "status": self.status,
            "message": self.message,
            "rows_total": self.rows_total,
            "rows_done": self.rows_done,
            "attempts": self.attempts or 0,
            "counts": self.counts or {},
            "errors": self.errors or [],
            "errors_total": self.errors_total,
            "warnings": self.warnings or [],
            "warnings_total": self.warnings_total or 0,
            "on_invalid_value": self.on_invalid_value,
            "match_rules": self.match_rules or None,
            "mapping_id": self.mapping_id,
            "target": self.target,
            "sheet": self.sheet,
            "analysis": self.analysis,
            "mapping_used": self.mapping_used,
            "requested_by": self.requested_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "undo": {k: v for k, v in self.undo.items() if k not in _UNDO_INTERNAL}
            if self.undo
            else None,
        }


def _pk(tenant_id: str) -> str:
    return f"{tenant_id}#IMPORT"


def upload_key(tenant_id: str, import_id: str, file_name: str) -> str:
    return f"uploads/{tenant_id}/{import_id}/{file_name}"


def results_prefix(tenant_id: str, import_id: str) -> str:
    return f"results/{tenant_id}/{import_id}/"


def create_import(
    tenant_id: str,
    *,
    source: str,
    file_name: str,
    dry_run: bool,
    by: str | None,
    import_id: str | None = None,
    s3_key: str | None = None,
    mapping: dict | None = None,
    mapping_id: str | None = None,
    target: str | None = None,
    has_headers: bool | None = None,
    save_mapping_as: str | None = None,
    sheet: str | None = None,
    on_invalid_value: str | None = None,
    match_rules: dict | None = None,
    upload_deadline: str | None = None,
    requested_by: dict | None = None,
) -> tuple[ImportItem, bool]:
    """Create the record (``import_id`` given: only if absent); returns it and whether it is new."""
    bind()
    import_id = import_id or new_id()
    now = now_iso()
    item = ImportItem(
        _pk(tenant_id),
        import_id,
        entity="import",
        id=import_id,
        tenant_id=tenant_id,
        source=source,
        file_name=file_name,
        dry_run=dry_run,
        status="queued",
        s3_key=s3_key or upload_key(tenant_id, import_id, file_name),
        mapping=mapping,
        mapping_id=mapping_id,
        target=target,
        has_headers=has_headers,
        save_mapping_as=save_mapping_as,
        sheet=sheet,
        on_invalid_value=on_invalid_value,
        match_rules=match_rules or None,
        upload_deadline=upload_deadline,
        created_by=by,
        requested_by=requested_by,
        created_at=now,
        updated_at=now,
        gsi1pk=_pk(tenant_id),
        gsi1sk=f"{now}#{import_id}",
    )
    try:
        item.save(condition=ImportItem.pk.does_not_exist())
    except PutError as exc:
        if conditional_failed(exc):
            return get_import(tenant_id, import_id), False
        raise
    return item, True


def get_import(tenant_id: str, import_id: str) -> ImportItem:
    bind()
    try:
        return ImportItem.get(_pk(tenant_id), import_id, consistent_read=True)
    except ImportItem.DoesNotExist:
        raise NotFound("No import with that id.") from None


def list_imports(
    tenant_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ImportItem], str | None]:
    """Newest first (gsi1 sorts by creation time)."""
    bind()
    pk = _pk(tenant_id)
    return query_page(
        lambda **kw: ImportItem.gsi1.query(pk, scan_index_forward=False, **kw),
        limit=limit,
        cursor=cursor,
        partition=("gsi1pk", pk),
    )


def claim_import(item: ImportItem, *, owner: str, etag: str | None) -> bool:
    """Take the import for ``owner``: queued → running, or already running for the same owner.

    A conditional write, so two deliveries of one notification cannot both run it.
    """
    condition = (ImportItem.status == "queued") | (
        ImportItem.status.is_in("running", "analyzing") & (ImportItem.owner == owner)
    )
    actions = [
        ImportItem.status.set("running"),
        ImportItem.owner.set(owner),
        ImportItem.attempts.add(1),
        ImportItem.updated_at.set(now_iso()),
    ]
    if item.status == "queued":
        actions += [ImportItem.started_at.set(now_iso())]
    if etag:
        actions.append(ImportItem.object_etag.set(etag))
    return _update(item, actions, condition)


def save_progress(item: ImportItem, *, owner: str, **values: Any) -> bool:
    """Write progress fields while ``owner`` still holds the import; False if it lost it."""
    actions = [getattr(ImportItem, k).set(v) for k, v in values.items()]
    actions.append(ImportItem.updated_at.set(now_iso()))
    return _update(item, actions, ImportItem.owner == owner)


def await_mapping(
    item: ImportItem, *, owner: str, analysis: dict[str, Any], message: str | None = None
) -> bool:
    """Park an own-format import at ``needs_mapping`` with what the user needs to choose one."""
    actions = [
        ImportItem.status.set("needs_mapping"),
        ImportItem.message.set(message),
        ImportItem.analysis.set(analysis),
        ImportItem.owner.remove(),
        ImportItem.updated_at.set(now_iso()),
    ]
    return _update(item, actions, ImportItem.owner == owner)


def queue_with_mapping(item: ImportItem, **values: Any) -> bool:
    """needs_mapping → queued with the chosen mapping; False if it was not waiting for one."""
    actions = [getattr(ImportItem, k).set(v) for k, v in values.items() if v is not None]
    actions += [ImportItem.status.set("queued"), ImportItem.updated_at.set(now_iso())]
    return _update(item, actions, ImportItem.status == "needs_mapping")


def queue_for_sheet(
    item: ImportItem, *, sheet: str, mapping: dict | None, dry_run: bool | None
) -> bool:
    """needs_mapping → queued to read another ``sheet``: with ``mapping`` (checked against that
    sheet's headers when it is read) or without (analysed again); False if it was not waiting."""
    actions = [
        ImportItem.sheet.set(sheet),
        ImportItem.analysis.remove(),
        ImportItem.status.set("queued"),
        ImportItem.updated_at.set(now_iso()),
    ]
    if mapping:
        given = {"id": None, "name": None, "matched_by": "given"}
        actions += [ImportItem.mapping.set(mapping), ImportItem.mapping_used.set(given)]
    else:
        actions += [ImportItem.mapping.remove(), ImportItem.mapping_used.remove()]
    if dry_run is not None:
        actions.append(ImportItem.dry_run.set(dry_run))
    return _update(item, actions, ImportItem.status == "needs_mapping")


def finish_import(
    item: ImportItem, *, owner: str | None, status: str, running: bool = False, **values: Any
) -> bool:
    """Close the import with ``status`` and ``values`` while ``owner`` holds it (no owner: while
    it is queued or running); ``running``: only if it is still running, so that of two
    finishers only one closes it. False when the condition failed."""
    now = now_iso()
    actions = [getattr(ImportItem, k).set(v) for k, v in values.items()]
    actions += [
        ImportItem.status.set(status),
        ImportItem.updated_at.set(now),
        ImportItem.finished_at.set(now),
    ]
    condition = (
        (ImportItem.owner == owner) if owner else ImportItem.status.is_in("queued", "running")
    )
    if running:
        condition &= ImportItem.status == "running"
    return _update(item, actions, condition)


def request_undo(item: ImportItem, undo: dict[str, Any], *, dry_run: bool) -> bool:
    """Ask for an undo of the finished ``item`` as read: a real one moves it to ``undoing``; a
    dry run only records ``undo``. False when it changed meanwhile (the caller reads again)."""
    actions = [
        ImportItem.undo.set(undo),
        ImportItem.undo_owner.remove(),
        ImportItem.undo_checkpoint.remove(),
        ImportItem.updated_at.set(now_iso()),
    ]
    if not dry_run:
        actions.append(ImportItem.status.set("undoing"))
    return _update(item, actions, ImportItem.status == item.status)


def claim_undo(item: ImportItem, *, owner: str) -> bool:
    """Take the queued undo for ``owner`` (or keep it: the same delivery again)."""
    condition = ImportItem.undo_owner.does_not_exist() | (ImportItem.undo_owner == owner)
    return _update(
        item,
        [ImportItem.undo_owner.set(owner), ImportItem.updated_at.set(now_iso())],
        condition & ImportItem.undo.exists(),
    )


def save_undo(item: ImportItem, *, owner: str, undo: dict[str, Any], **values: Any) -> bool:
    """Write the undo's report and progress (``undo_checkpoint``, ``status``…) while ``owner``
    holds it; False if it lost it."""
    actions = [ImportItem.undo.set(undo), ImportItem.updated_at.set(now_iso())]
    for name, value in values.items():
        attribute = getattr(ImportItem, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return _update(item, actions, ImportItem.undo_owner == owner)


def imports_after(item: ImportItem) -> list[ImportItem]:
    """The tenant's imports created after ``item``, oldest first (gsi1, one Query)."""
    bind()
    pk = _pk(item.tenant_id)
    return list(ImportItem.gsi1.query(pk, ImportItem.gsi1sk > item.gsi1sk))


def fail_under_way(item: ImportItem, *, owner: str, message: str) -> bool:
    """End an import that ``owner`` holds and has not finished as ``failed`` with ``message``.

    For unexpected errors: unlike finish_import it never overwrites a finished import (the
    error may come after finishing), and False says the import was not ours to fail.
    """
    return _fail_if(item, message, ImportItem.owner == owner, owner=owner)


def fail_abandoned(item: ImportItem, *, owner: str, message: str) -> bool:
    """End as ``failed`` an import whose queue message SQS gave up on (its dead-letter queue).

    Only while it is still under way and held by that message's deliveries (``owner``) or by
    none yet; an import another delivery took over, or one that finished, is left as it is.
    """
    held = (ImportItem.owner == owner) | ImportItem.owner.does_not_exist()
    return _fail_if(item, message, held, owner=owner)


def fail_stalled(item: ImportItem, *, owner: str, message: str) -> bool:
    """End as ``failed`` an import written by parts that stopped making progress (the
    watchdog, imports/watchdog.py): only while it is ``running`` for ``owner``, the planner's
    delivery its counter was put for; False otherwise (finished, or taken over meanwhile)."""
    held = (ImportItem.status == "running") & (ImportItem.owner == owner)
    return _fail_if(item, message, held, owner=owner)


def _fail_if(item: ImportItem, message: str, held: Any, *, owner: str) -> bool:
    """Set ``failed`` with ``message`` while the import is under way and ``held`` holds.

    Parts writing the import (store/import_parts.py) are stopped on its counter first, so none
    counts a group, queues a level or finishes after this; what they counted goes on the record.
    (Stopped and then not failed, the import was not ``owner``'s, or had finished: either way
    no part of ``owner``'s has more to do.)
    """
    from chalicelib.store.import_parts import stop_counting

    counted = stop_counting(_dynamodb(), get_settings().table_name, item, owner=owner)
    now = now_iso()
    actions = [
        ImportItem.status.set("failed"),
        ImportItem.message.set(message),
        ImportItem.updated_at.set(now),
        ImportItem.finished_at.set(now),
    ]
    if counted is not None:
        actions += [
            ImportItem.rows_done.set(counted.rows_done),
            ImportItem.rows_lost.set(counted.rows_lost),
        ]
    return _update(item, actions, ImportItem.status.is_in(*UNDER_WAY) & held)


def with_counted_progress(items: list[ImportItem]) -> list[ImportItem]:
    """``items`` with the rows their parts have counted so far (store/import_parts.py) as
    ``rows_done``: an import spread over workers counts its groups on a counter item, not on
    its record, until it finishes. One BatchGetItem for the page's running imports, none
    when no import in it is running."""
    from chalicelib.store.import_parts import counted

    running = [item.id for item in items if item.status == "running"]
    if not running:
        return items
    tenant_id = items[0].tenant_id
    found = counted(_dynamodb(), get_settings().table_name, tenant_id, running)
    for item in items:
        if item.id in found:
            item.rows_done = max(item.rows_done or 0, found[item.id].rows_done)
    return items


def _dynamodb() -> Any:
    from chalicelib import aws

    return aws.client("dynamodb")


def upload_overdue(item: ImportItem, now: str | None = None) -> bool:
    """True when the import still waits for its upload and the upload link has expired."""
    return (
        item.status == "queued"
        and item.started_at is None
        and item.upload_deadline is not None
        and item.upload_deadline < (now or now_iso())
    )


def expire_overdue(item: ImportItem, *, message: str = EXPIRED_MESSAGE) -> ImportItem:
    """``queued`` → ``expired`` when the upload link expired with no file; the item, current.

    Called when an import is read or listed and when a late file arrives (no Scan, no cron).
    The update is conditional on the import still waiting, so a file that did arrive in time
    and a worker that claimed it win; either way the item returned is what the table holds.
    """
    if not upload_overdue(item):
        return item
    now = now_iso()
    actions = [
        ImportItem.status.set("expired"),
        ImportItem.message.set(message),
        ImportItem.updated_at.set(now),
        ImportItem.finished_at.set(now),
    ]
    condition = (
        (ImportItem.status == "queued")
        & ImportItem.started_at.does_not_exist()
        & (ImportItem.upload_deadline < now)
    )
    if not _update(item, actions, condition):
        item.refresh(consistent_read=True)
    return item


def refuse_late_upload(item: ImportItem) -> None:
    """A file reached an import whose link expired: it ends (or stays) ``expired``, saying so."""
    if item.status == "queued":
        expire_overdue(item, message=LATE_MESSAGE)
    elif item.status == "expired":
        actions = [ImportItem.message.set(LATE_MESSAGE), ImportItem.updated_at.set(now_iso())]
        _update(item, actions, ImportItem.status == "expired")


def _update(item: ImportItem, actions: list, condition: Any) -> bool:
    bind()
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if conditional_failed(exc):
            return False
        raise
    return True
