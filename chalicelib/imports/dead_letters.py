"""The import queue's dead letters: work SQS gave up on is closed as failed, none left running.

A message reaches the dead-letter queue after the import queue's maxReceiveCount deliveries
(worker.MAX_RECEIVES). The worker fails an import itself when an error is raised on the last
delivery; what it cannot handle is a Lambda killed on that delivery (the 15-minute limit, out
of memory): nothing runs to fail the import, and the message moves here. SQS keeps the
message's id when it moves it, and that id is the owner the deliveries claimed the work with,
so only work still held by that message (or by none) is closed.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain.errors import NotFound
from chalicelib.messages import (
    ContinueImport,
    ExportRequested,
    FileDropped,
    Message,
    UploadArrived,
    WriteGroups,
    messages_of,
    records_of,
)

log = logging.getLogger("sitebook.imports")

IMPORT_MESSAGE = (
    "The import stopped {times} times without finishing (the worker ran out of time or memory "
    "each time) and will not be tried again:{written} upload the file again to complete it "
    "(rows already imported are reported unchanged)."
)
EXPORT_MESSAGE = (
    "The export stopped {times} times without finishing (the worker ran out of time or memory "
    "each time); please try again."
)


def handle_dead_letters(event: dict[str, Any]) -> None:
    """Entry point for app.import_dead_letters: close the work of each dead message.

    ``event`` is the SQS event Lambda passes (one record per message, bodies as the import
    queue's). Raises only when DynamoDB fails, so the message returns and is tried again.
    """
    from chalicelib.imports.worker import MAX_RECEIVES
    from chalicelib.observability import add_log_keys

    for message_id, body, _ in records_of(event):
        for message in messages_of(body):
            add_log_keys(tenant_id=message.tenant_id)
            closed = close_abandoned(message, message_id, times=MAX_RECEIVES)
            log.warning("dead letter %s (%s): %s", message_id, type(message).__name__, closed)


def close_abandoned(message: Message, message_id: str, *, times: int) -> str:
    """Fail the import or export ``message`` ran, if that message still holds it.

    ``message_id``: the dead message's SQS id (the owner its deliveries claimed with; a
    follow-on carries its owner in the body). Returns what was done, for the log.
    """
    from chalicelib.store import exports
    from chalicelib.store import imports as records

    if isinstance(message, ExportRequested):
        try:
            item = exports.get_export(message.tenant_id, message.export_id)
        except NotFound:
            return "no such export"
        text = EXPORT_MESSAGE.format(times=times)
        done = exports.fail_abandoned(item, owner=message_id, message=text)
        return "export failed" if done else f"export left {item.status}"
    found = _import_of(message, message_id)
    if found is None:
        return "not an import message"
    tenant_id, import_id, owner = found
    try:
        item = records.get_import(tenant_id, import_id)
    except NotFound:
        return "no such import"
    records.with_counted_progress([item])  # rows its parts counted, if spread
    written = (
        f" {item.rows_done} of {item.rows_total} rows were handled before it stopped;"
        if item.checkpoint is not None
        else " nothing was written;"
    )
    text = IMPORT_MESSAGE.format(times=times, written=written)
    done = records.fail_abandoned(item, owner=owner, message=text)
    if done:
        from chalicelib.observability import count

        count("ImportsFailed", 1)
    return "import failed" if done else f"import left {item.status}"


def _import_of(message: Message, message_id: str) -> tuple[str, str, str] | None:
    from chalicelib.imports.worker import drop_import_id

    if isinstance(message, ContinueImport | WriteGroups):
        return message.tenant_id, message.import_id, message.owner
    if isinstance(message, UploadArrived):
        return message.tenant_id, message.import_id, message_id
    if isinstance(message, FileDropped):
        return message.tenant_id, drop_import_id(message.key, message.etag), message_id
    return None
