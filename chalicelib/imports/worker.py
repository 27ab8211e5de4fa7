"""The queue's dispatcher: each message to its use case; the one place that knows the Lambda's
time limit, sends follow-on messages and decides when an unexpected error ends an import.

No import is left under way by an error: an error that a retry cannot fix (a bug, bad data:
PERMANENT_ERRORS), or any error on the queue's last delivery (MAX_RECEIVES), ends the import
``failed`` with a message and the message is consumed; any other error is raised, so SQS
delivers the message again and the import resumes from its checkpoint. A Lambda that is killed
(timeout, memory) raises nothing: its message returns, and is handled as above on the next
delivery; a kill on the last delivery sends the message to the dead-letter queue, whose handler
(imports/dead_letters.py) closes the import as failed.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import DomainError, NotFound
from chalicelib.imports.ports import Ports
from chalicelib.messages import (
    ContinueImport,
    ExportRequested,
    FileDropped,
    Message,
    UndoRequested,
    UploadArrived,
    WriteGroups,
    continue_body,
    messages_of,
    records_of,
)
from chalicelib.observability import add_log_keys
from chalicelib.store import imports as records

log = logging.getLogger("sitebook.imports")

# Stop starting batches with less than a minute left: a group's writes and checkpoint fit in it.
SAFETY_MARGIN_MS = 60_000
# Stop reading rows to plan with less than this left: what follows the last row (spooling the
# plan's tail, the results and error workbook, two uploads, the record) or recording the
# failure fits in it. MAX_IMPORT_ROWS is set so that an accepted file plans well inside 15
# minutes (docs/decisions/template-import.md); this guard ends a slower run cleanly.
PLANNING_MARGIN_MS = 120_000
# The import queue's RedrivePolicy.maxReceiveCount (infra/resources.json): after this delivery
# the message goes to the dead-letter queue, so this one fails the import first.
MAX_RECEIVES = 5
# Errors that happen again on every retry of the same message: our bugs and the data's faults.
# Anything else (throttling, a network or service error, a crash) is worth another delivery.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    DomainError,
    ValueError,  # UnicodeError, json's errors
    TypeError,
    LookupError,  # KeyError, IndexError
    AttributeError,
    ArithmeticError,
    AssertionError,
    NotImplementedError,
    RecursionError,
)


def handle_import_event(event: dict[str, Any], context: Any, ports: Ports | None = None) -> None:
    """Entry point for app.import_worker: every message of the SQS event, in order.

    ``ports`` (clients, rules, store) are built once here unless given (tests swap some).
    """
    if ports is None:
        from chalicelib.imports.wiring import default_ports

        ports = default_ports()
    for message_id, body, receives in records_of(event):
        for message in messages_of(body):
            dispatch(
                message,
                ports,
                owner=message_id,
                context=context,
                last_delivery=receives >= MAX_RECEIVES,
            )


def dispatch(
    message: Message, ports: Ports, *, owner: str, context: Any, last_delivery: bool = False
) -> None:
    """One message to its use case; ``owner`` is the delivery that claims the work.

    ``last_delivery``: SQS will not deliver this message again, so an import that meets an
    error now ends ``failed`` instead of waiting for a retry that never comes.
    """
    add_log_keys(
        tenant_id=message.tenant_id,
        import_id=getattr(message, "import_id", None),
        export_id=getattr(message, "export_id", None),
    )
    if isinstance(message, ExportRequested):
        from chalicelib.exports.service import run_export

        run_export(message.tenant_id, message.export_id, owner=owner, s3=ports.s3)
        return
    if isinstance(message, UndoRequested):
        undo(message, ports, owner=owner, context=context, last_delivery=last_delivery)
        return
    if isinstance(message, WriteGroups):
        delivery = owner  # this message's id; the part writes as its planner's delivery
        tenant_id, import_id, owner = message.tenant_id, message.import_id, message.owner

        def run() -> None:
            run_part(message, ports, context=context, delivery=delivery)

    else:
        work = _import_of(message, owner)
        if work is None:
            return
        tenant_id, import_id, owner = work

        def run() -> None:
            run_import(tenant_id, import_id, ports, owner=owner, context=context)

    add_log_keys(import_id=import_id)
    try:
        run()
    except Exception as exc:
        if not (last_delivery or isinstance(exc, PERMANENT_ERRORS)):
            log.warning("import %s: %r; SQS delivers the message again", import_id, exc)
            raise
        log.exception("import %s stopped on an unexpected error", import_id)
        if not fail_on_error(tenant_id, import_id, owner, exc):
            raise


def undo(
    message: UndoRequested, ports: Ports, *, owner: str, context: Any, last_delivery: bool
) -> None:
    """Run an import's undo (imports/undo/run.py), continuing in a follow-on when time runs
    short; errors are handled as an import's are, a permanent one ending the undo ``failed``
    (the import stays ``undoing``, and asking again resumes it)."""
    from chalicelib.imports.undo.run import fail_undo, run_undo
    from chalicelib.messages import undo_body

    owner = message.owner or owner
    try:
        done = run_undo(
            message.tenant_id,
            message.import_id,
            ports,
            owner=owner,
            has_time=lambda: _time_left_ms(context) >= SAFETY_MARGIN_MS,
        )
    except Exception as exc:
        if not (last_delivery or isinstance(exc, PERMANENT_ERRORS)):
            log.warning("undo of %s: %r; SQS delivers the message again", message.import_id, exc)
            raise
        log.exception("undo of %s stopped on an unexpected error", message.import_id)
        fail_undo(message.tenant_id, message.import_id, owner, exc)
        return
    if not done:
        ports.sqs.send_message(
            QueueUrl=ports.settings.import_queue_url,
            MessageBody=undo_body(message.tenant_id, message.import_id, owner),
        )


def _import_of(message: Message, owner: str) -> tuple[str, str, str] | None:
    """``(tenant, import id, owner)`` the message runs; a drop's import is created here first
    (None when it cannot run: its record says why)."""
    if isinstance(message, ContinueImport):
        return message.tenant_id, message.import_id, message.owner
    if isinstance(message, UploadArrived):
        return message.tenant_id, message.import_id, owner
    if isinstance(message, FileDropped):
        import_id = drop_import_id(message.key, message.etag)
        if _create_drop_import(message, import_id):
            return message.tenant_id, import_id, owner
    return None


def run_import(tenant_id: str, import_id: str, ports: Ports, *, owner: str, context: Any) -> None:
    """Claim the import; analyse and plan it if new; write from its checkpoint; finish it, or
    hand over to a follow-on message before the Lambda's time runs out."""
    from chalicelib.imports.report.finish import finish
    from chalicelib.imports.write.parts import PLANNER, advance
    from chalicelib.imports.write.resume import Written, write_from_checkpoint
    from chalicelib.store import import_parts

    item = _claimed(tenant_id, import_id, owner)
    if item is None:
        return
    if item.checkpoint is None:

        def has_planning_time() -> bool:
            return _time_left_ms(context) >= PLANNING_MARGIN_MS

        if not _analyse_and_plan(item, ports, owner=owner, has_time=has_planning_time):
            return
        item.refresh(consistent_read=True)

    def has_time() -> bool:
        return _time_left_ms(context) >= SAFETY_MARGIN_MS

    if import_parts.write_progress(ports.dynamodb, ports.settings.table_name, item):
        # its parts write it (write/parts.py)
        advance(item, ports, owner=owner, by=PLANNER, delivery=owner)
        return
    written = write_from_checkpoint(item, ports, owner=owner, has_time=has_time)
    if written is Written.PAUSED:
        ports.sqs.send_message(
            QueueUrl=ports.settings.import_queue_url,
            MessageBody=continue_body(item.tenant_id, item.id, owner),
        )
        log.info("import %s continues in a follow-on at batch %d", item.id, item.checkpoint)
    elif written is Written.ALL:
        finish(item, ports, owner=owner)


def run_part(message: WriteGroups, ports: Ports, *, context: Any, delivery: str) -> None:
    """Write one part of an import spread over workers (imports/write/parts.py) while the
    import is still running for the delivery that planned it (``message.owner``);
    ``delivery``: the SQS id of this part's message.

    A part does not claim the import (the planner's delivery holds it): each of its updates
    is conditional on that owner and on the import running, so a failed or taken-over import
    stops every part at its next group.
    """
    from chalicelib.imports.write.parts import write_part

    try:
        item = records.get_import(message.tenant_id, message.import_id)
    except NotFound:
        log.warning("import %s: no such import; part ignored", message.import_id)
        return
    if item.status != "running" or item.owner != message.owner:
        log.info(
            "import %s is %s; its part at %d does nothing", item.id, item.status, message.first
        )
        return
    write_part(
        item,
        message,
        ports,
        has_time=lambda: _time_left_ms(context) >= SAFETY_MARGIN_MS,
        delivery=delivery,
    )


def fail_on_error(tenant_id: str, import_id: str, owner: str, error: Exception) -> bool:
    """End the import ``owner`` holds as ``failed``, naming the error and what was written.

    True when the import is settled (failed now, or no longer this delivery's to fail: finished,
    waiting for a mapping, taken over); False when it could not be read (the caller re-raises).
    """
    try:
        item = records.get_import(tenant_id, import_id)
    except NotFound:
        return True
    except Exception:  # DynamoDB itself is failing: let SQS deliver the message again
        log.exception("import %s: could not be read to record its failure", import_id)
        return False
    records.with_counted_progress([item])  # rows its parts counted, if spread
    written = (
        f" {item.rows_done} of {item.rows_total} rows were handled before it stopped;"
        if item.checkpoint is not None
        else " nothing was written;"
    )
    message = (
        f"The import stopped on an unexpected error ({type(error).__name__}) and was not "
        f"finished:{written} upload the file again to complete it (rows already imported "
        "are reported unchanged)."
    )
    if not records.fail_under_way(item, owner=owner, message=message):
        log.info("import %s was not this delivery's to fail (%s)", import_id, item.status)
    return True


def _claimed(tenant_id: str, import_id: str, owner: str) -> records.ImportItem | None:
    """The import, claimed for this delivery; None for unknown, finished, expired or taken
    imports (a file that arrives after its upload link expired is refused, saying so)."""
    try:
        item = records.get_import(tenant_id, import_id)
    except NotFound:
        log.warning("import %s/%s: no such import; message ignored", tenant_id, import_id)
        return None
    if item.status == "expired" or records.upload_overdue(item):
        log.warning("import %s: the file arrived after its upload link expired", import_id)
        records.refuse_late_upload(item)
        return None
    if item.status in records.FINISHED:
        return None  # a duplicate delivery of work already done
    if not records.claim_import(item, owner=owner, etag=None):
        log.info("import %s is running for another delivery; this one does nothing", import_id)
        return None
    item.refresh(consistent_read=True)
    return item


def _analyse_and_plan(
    item: records.ImportItem, ports: Ports, *, owner: str, has_time: Callable[[], bool]
) -> bool:
    """Read the upload and plan it while ``has_time()``; False when the import ended (failed
    too, when time ran short) or waits for its mapping."""
    from chalicelib.imports.plan.run import plan_and_store
    from chalicelib.imports.read.analyse import Unreadable, analysed
    from chalicelib.imports.read.rows import within_time
    from chalicelib.imports.report.finish import fail
    from chalicelib.xlsx.safety import FileRejected

    with tempfile.TemporaryDirectory() as folder:
        try:
            with analysed(item, ports, owner=owner, folder=folder) as source:
                if source is None:
                    return False
                timed = within_time(source, has_time)
                return plan_and_store(item, ports, timed, owner=owner, folder=folder)
        except FileRejected as exc:
            fail(item, owner, f"{exc.message}.")
        except Unreadable as exc:  # openpyxl's and csv's many ways to dislike a damaged file
            log.warning("import %s: unreadable file: %r", item.id, exc.__cause__)
            fail(
                item,
                owner,
                "The file could not be read; open it in Excel, save it as .xlsx or .csv "
                "and upload it again.",
            )
    return False


def _create_drop_import(message: FileDropped, import_id: str) -> bool:
    """A partner's file becomes an import: the template, or the saved mapping its folder names.

    False when it cannot run (the import is recorded as failed with the reason). A tenant
    whose first contact is a dropped file gets its defaults first, as a first request would.
    """
    from chalicelib.imports.report.finish import fail
    from chalicelib.services.tenants import ensure_tenant_ready
    from chalicelib.store.mappings import mapping_named

    ensure_tenant_ready(message.tenant_id)
    own_format = message.mapping_name != "template"
    saved, problem = None, None
    if own_format:
        try:
            saved = mapping_named(message.tenant_id, message.mapping_name)
        except NotFound:
            problem = (
                f"No saved mapping is named '{message.mapping_name}': save one under that "
                "name, or drop the file into a folder named after an existing mapping."
            )
    item, _ = records.create_import(
        message.tenant_id,
        source="own_format" if own_format else "template",
        file_name=message.file_name,
        dry_run=False,
        by=None,
        import_id=import_id,
        s3_key=message.key,
        requested_by={"sub": None, "client_id": None, "drop": message.key},
        mapping_id=saved.id if saved else None,
        target=saved.target if saved else None,
    )
    if problem:
        fail(item, None, problem)
        return False
    return True


def _time_left_ms(context: Any) -> float:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter() if getter else float("inf")


def drop_import_id(key: str, etag: str | None) -> str:
    """The import id of a dropped file: the same file (key and ETag) always names one import."""
    return hashlib.sha256(f"{key}|{etag}".encode()).hexdigest()[:32]
