"""The undo request use case behind POST /v1/imports/{id}/undo: refuse what must not be undone,
record the request, queue the job."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.store import imports as records
from chalicelib.store.base import now_iso


def request_undo(
    tenant_id: str, import_id: str, *, by: str, dry_run: bool, force: bool
) -> dict[str, Any]:
    """Queue an undo (or a dry run of one) of a finished import; its record, with ``undo``.

    Idempotent: asked again while it runs, or once the import is ``undone``, it queues nothing
    and answers the record. Raises NotFound (404), and Conflict (409) for an import still
    under way, one that wrote nothing (a dry run, a failure before writing), and one a later
    import built on (it is named) unless ``force``.
    """
    from chalicelib import aws
    from chalicelib.imports.service import import_status
    from chalicelib.messages import undo_body
    from chalicelib.settings import get_settings

    item = records.get_import(tenant_id, import_id)
    undo = item.undo or {}
    if item.status == "undone" or (item.status == "undoing" and undo.get("status") != "failed"):
        if dry_run:
            raise Conflict(f"This import is already {item.status}; there is nothing to dry-run.")
        return import_status(tenant_id, import_id)
    _check_undoable(item)
    if not force:
        later = built_on(item)
        if later is not None:
            raise Conflict(
                f"Import {later.id} ({later.file_name}, {later.created_at}) changed records this "
                "import wrote: undo it first, or send force: true to undo this one anyway (what "
                "the later import changed is kept and reported as conflicts)."
            )
    asked = {
        "dry_run": dry_run,
        "force": force,
        "status": "queued",
        "requested_by": by,
        "requested_at": now_iso(),
    }
    if not records.request_undo(item, asked, dry_run=dry_run):
        raise Conflict("The import changed while the undo was asked for; read it and try again.")
    aws.client("sqs").send_message(
        QueueUrl=get_settings().import_queue_url, MessageBody=undo_body(tenant_id, import_id)
    )
    return import_status(tenant_id, import_id)


def _check_undoable(item: records.ImportItem) -> None:
    if item.status not in records.UNDOABLE and item.status != "undoing":
        raise Conflict(
            f"The import is {item.status}: only a finished import can be undone; wait for it "
            "to finish."
        )
    if item.dry_run or (item.status == "failed" and item.checkpoint is None):
        raise Conflict("The import wrote nothing, so there is nothing to undo.")
    if (item.undo or {}).get("status") in ("queued", "running"):
        raise Conflict("An undo of this import is under way; wait for it to finish.")


def built_on(item: records.ImportItem) -> records.ImportItem | None:
    """The first later import that changed a record this one created or updated, or added a
    record under a customer it created; None when none did.

    Reads the ledgers' created and updated rows (Queries of gsi1), this import's and each later
    one's that wrote anything.
    """
    from chalicelib.store.import_rows import iter_rows

    touched: set[str] = set()
    created_customers: set[str] = set()
    for part in _written_parts(iter_rows, item):
        touched.add(part["record_id"])
        if part["entity"] == "customer" and part["outcome"] == "created":
            created_customers.add(part["record_id"])
    if not touched:
        return None
    for later in records.imports_after(item):
        if later.dry_run or later.status in ("undone", "expired", "needs_mapping", "queued"):
            continue
        for part in _written_parts(iter_rows, later):
            if part["record_id"] in touched or part.get("customer_id") in created_customers:
                return later
    return None


def _written_parts(iter_rows, item: records.ImportItem):
    for outcome in ("created", "updated"):
        for entry in iter_rows(item.tenant_id, item.id, outcome):
            yield entry
            yield from entry.get("also") or []
