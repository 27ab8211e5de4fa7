"""The queue's dispatcher: each message to its use case; the one place that knows the Lambda's
time limit and sends follow-on messages."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from typing import Any

from chalicelib.domain.errors import NotFound
from chalicelib.imports.ports import Ports
from chalicelib.messages import (
    ContinueImport,
    ExportRequested,
    FileDropped,
    Message,
    UploadArrived,
    continue_body,
    messages_of,
    records_of,
)
from chalicelib.observability import add_log_keys
from chalicelib.store import imports as records

log = logging.getLogger("sitebook.imports")

# Stop starting batches with less than a minute left: a group's writes and checkpoint fit in it.
SAFETY_MARGIN_MS = 60_000


def handle_import_event(event: dict[str, Any], context: Any, ports: Ports | None = None) -> None:
    """Entry point for app.import_worker: every message of the SQS event, in order.

    ``ports`` (clients, rules, store) are built once here unless given (tests swap some).
    """
    if ports is None:
        from chalicelib.imports.wiring import default_ports

        ports = default_ports()
    for message_id, body in records_of(event):
        for message in messages_of(body):
            dispatch(message, ports, owner=message_id, context=context)


def dispatch(message: Message, ports: Ports, *, owner: str, context: Any) -> None:
    """One message to its use case; ``owner`` is the delivery that claims the work."""
    add_log_keys(
        tenant_id=message.tenant_id,
        import_id=getattr(message, "import_id", None),
        export_id=getattr(message, "export_id", None),
    )
    if isinstance(message, ContinueImport):
        run_import(
            message.tenant_id, message.import_id, ports, owner=message.owner, context=context
        )
    elif isinstance(message, UploadArrived):
        run_import(message.tenant_id, message.import_id, ports, owner=owner, context=context)
    elif isinstance(message, FileDropped):
        import_id = _drop_import_id(message.key, message.etag)
        add_log_keys(import_id=import_id)
        if _create_drop_import(message, import_id):
            run_import(message.tenant_id, import_id, ports, owner=owner, context=context)
    elif isinstance(message, ExportRequested):
        from chalicelib.exports.service import run_export

        run_export(message.tenant_id, message.export_id, owner=owner, s3=ports.s3)


def run_import(tenant_id: str, import_id: str, ports: Ports, *, owner: str, context: Any) -> None:
    """Claim the import; analyse and plan it if new; write from its checkpoint; finish it, or
    hand over to a follow-on message before the Lambda's time runs out."""
    from chalicelib.imports.report.finish import finish
    from chalicelib.imports.write.resume import Written, write_from_checkpoint

    item = _claimed(tenant_id, import_id, owner)
    if item is None:
        return
    if item.checkpoint is None:
        if not _analyse_and_plan(item, ports, owner=owner):
            return
        item.refresh(consistent_read=True)

    def has_time() -> bool:
        return _time_left_ms(context) >= SAFETY_MARGIN_MS

    written = write_from_checkpoint(item, ports, owner=owner, has_time=has_time)
    if written is Written.PAUSED:
        ports.sqs.send_message(
            QueueUrl=ports.settings.import_queue_url,
            MessageBody=continue_body(item.tenant_id, item.id, owner),
        )
        log.info("import %s continues in a follow-on at batch %d", item.id, item.checkpoint)
    elif written is Written.ALL:
        finish(item, ports, owner=owner)


def _claimed(tenant_id: str, import_id: str, owner: str) -> records.ImportItem | None:
    """The import, claimed for this delivery; None for unknown, finished or taken imports."""
    try:
        item = records.get_import(tenant_id, import_id)
    except NotFound:
        log.warning("import %s/%s: no such import; message ignored", tenant_id, import_id)
        return None
    if item.status in records.FINISHED:
        return None  # a duplicate delivery of work already done
    if not records.claim_import(item, owner=owner, etag=None):
        log.info("import %s is running for another delivery; this one does nothing", import_id)
        return None
    item.refresh(consistent_read=True)
    return item


def _analyse_and_plan(item: records.ImportItem, ports: Ports, *, owner: str) -> bool:
    """Read the upload and plan it; False when the import ended or waits for its mapping."""
    from chalicelib.imports.plan.run import plan_and_store
    from chalicelib.imports.read.analyse import Unreadable, analysed
    from chalicelib.imports.report.finish import fail
    from chalicelib.xlsx.safety import FileRejected

    with tempfile.TemporaryDirectory() as folder:
        try:
            with analysed(item, ports, owner=owner, folder=folder) as source:
                if source is None:
                    return False
                return plan_and_store(item, ports, source, owner=owner, folder=folder)
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

    False when it cannot run (the import is recorded as failed with the reason)."""
    from chalicelib.imports.report.finish import fail
    from chalicelib.store.mappings import mapping_named

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


def _drop_import_id(key: str, etag: str | None) -> str:
    return hashlib.sha256(f"{key}|{etag}".encode()).hexdigest()[:32]
