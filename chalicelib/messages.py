"""Every body of the work queue, built and parsed here: uploads, drops, follow-ons, write
parts, exports, undos."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote_plus

log = logging.getLogger("sitebook.imports")


@dataclass(frozen=True)
class UploadArrived:
    """A file reached ``uploads/<tenant>/<import id>/<file>``: run that import."""

    tenant_id: str
    import_id: str
    key: str
    size: int
    etag: str | None


@dataclass(frozen=True)
class FileDropped:
    """A partner dropped ``drops/<tenant>/<"template" or mapping name>/<file>``: run an import."""

    tenant_id: str
    key: str
    file_name: str
    size: int
    etag: str | None
    mapping_name: str = "template"


@dataclass(frozen=True)
class ContinueImport:
    """A follow-on: the previous invocation ran short of time; continue from the checkpoint."""

    tenant_id: str
    import_id: str
    owner: str


@dataclass(frozen=True)
class WriteGroups:
    """One part of a planned import's writes (imports/write/parts.py): its checkpoint groups
    ``first`` … ``end - 1``, written as ``owner`` (the delivery that planned the import)."""

    tenant_id: str
    import_id: str
    owner: str
    first: int
    end: int


@dataclass(frozen=True)
class ExportRequested:
    """POST /v1/exports queued an export: write its workbook (chalicelib.exports.workbook)."""

    tenant_id: str
    export_id: str


@dataclass(frozen=True)
class UndoRequested:
    """POST /v1/imports/{id}/undo queued an undo (or its dry run): run it (imports/undo)."""

    tenant_id: str
    import_id: str
    owner: str | None = None  # a follow-on's: the delivery that holds the undo


Message = (
    UploadArrived | FileDropped | ContinueImport | WriteGroups | ExportRequested | UndoRequested
)


def messages_of(sqs_record_body: str) -> list[Message]:
    """The work in one SQS message body; [] for test events and keys outside our prefixes."""
    try:
        body = json.loads(sqs_record_body)
    except ValueError:
        log.warning("import queue: a message that is not JSON was ignored")
        return []
    if not isinstance(body, dict):
        return []
    if body.get("kind") == "continue":
        return [ContinueImport(body["tenant_id"], body["import_id"], body["owner"])]
    if body.get("kind") == "write":
        return [
            WriteGroups(
                body["tenant_id"], body["import_id"], body["owner"], body["first"], body["end"]
            )
        ]
    if body.get("kind") == "undo":
        return [UndoRequested(body["tenant_id"], body["import_id"], body.get("owner"))]
    if body.get("kind") == "export":
        return [ExportRequested(body["tenant_id"], body["export_id"])]
    if body.get("Event") == "s3:TestEvent":
        return []
    found: list[Message] = []
    for record in body.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        obj = record.get("s3", {}).get("object", {})
        message = message_for_key(
            unquote_plus(obj.get("key", "")), int(obj.get("size") or 0), obj.get("eTag")
        )
        if message is None:
            log.warning("import queue: ignored an object outside uploads/ and drops/")
        else:
            found.append(message)
    return found


def message_for_key(key: str, size: int, etag: str | None) -> Message | None:
    parts = key.split("/")
    if len(parts) == 4 and parts[0] == "uploads" and all(parts[1:]):
        return UploadArrived(parts[1], parts[2], key, size, etag)
    if len(parts) == 4 and parts[0] == "drops" and all(parts[1:]):
        return FileDropped(parts[1], key, parts[3], size, etag, mapping_name=parts[2])
    return None


def continue_body(tenant_id: str, import_id: str, owner: str) -> str:
    return json.dumps(
        {"kind": "continue", "tenant_id": tenant_id, "import_id": import_id, "owner": owner}
    )


def write_body(part: WriteGroups) -> str:
    """The message that makes a worker write one part of an import (see WriteGroups)."""
    return json.dumps({"kind": "write", **asdict(part)})


def export_body(tenant_id: str, export_id: str) -> str:
    """The message that makes the worker run an export (see ExportRequested)."""
    return json.dumps({"kind": "export", "tenant_id": tenant_id, "export_id": export_id})


def undo_body(tenant_id: str, import_id: str, owner: str | None = None) -> str:
    """The message that makes the worker run an import's undo (``owner``: a follow-on's)."""
    body = {"kind": "undo", "tenant_id": tenant_id, "import_id": import_id}
    return json.dumps({**body, "owner": owner} if owner else body)


def records_of(event: dict[str, Any]) -> list[tuple[str, str, int]]:
    """``(message id, body, receive count)`` of each SQS record in a Lambda event.

    The receive count is SQS's ``ApproximateReceiveCount`` (1 on the first delivery; 1 when a
    test's event leaves it out): the worker fails an import on the queue's last delivery.
    """
    return [
        (
            r.get("messageId", ""),
            r.get("body", ""),
            int((r.get("attributes") or {}).get("ApproximateReceiveCount") or 1),
        )
        for r in event.get("Records") or []
    ]
