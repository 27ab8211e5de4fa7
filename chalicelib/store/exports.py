"""Export records: one per export, with its status, row counts and the workbook's S3 key."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.domain.errors import NotFound
from chalicelib.store.base import TableModel, bind, new_id, now_iso, query_page

FINISHED = ("succeeded", "failed")
FILE_NAME = "sitebook-export.xlsx"


class ExportItem(TableModel):
    """pk ``<tenant>#EXPORT``, sk ``<id>``; listed newest first on gsi1 (``<created_at>#<id>``)."""

    id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    targets = JSONAttribute(default=list)
    status = UnicodeAttribute(default="queued")
    message = UnicodeAttribute(null=True)
    counts = JSONAttribute(default=dict)
    s3_key = UnicodeAttribute()
    owner = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    requested_by = JSONAttribute(null=True)  # {sub, client_id} of the token that asked
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "message": self.message,
            "targets": list(self.targets or []),
            "counts": self.counts or {},
            "file_name": FILE_NAME,
            "requested_by": self.requested_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "finished_at": self.finished_at,
        }


def _pk(tenant_id: str) -> str:
    return f"{tenant_id}#EXPORT"


def export_key(tenant_id: str, export_id: str) -> str:
    return f"exports/{tenant_id}/{export_id}/{FILE_NAME}"


def create_export(
    tenant_id: str, *, targets: list[str], by: str | None, requested_by: dict | None = None
) -> ExportItem:
    """Create a queued export record; ``requested_by`` is ``{sub, client_id}`` of the token."""
    bind()
    export_id, now = new_id(), now_iso()
    item = ExportItem(
        _pk(tenant_id),
        export_id,
        entity="export",
        id=export_id,
        tenant_id=tenant_id,
        targets=targets,
        s3_key=export_key(tenant_id, export_id),
        created_by=by,
        requested_by=requested_by,
        created_at=now,
        updated_at=now,
        gsi1pk=_pk(tenant_id),
        gsi1sk=f"{now}#{export_id}",
    )
    item.save(condition=ExportItem.pk.does_not_exist())
    return item


def get_export(tenant_id: str, export_id: str) -> ExportItem:
    bind()
    try:
        return ExportItem.get(_pk(tenant_id), export_id, consistent_read=True)
    except ExportItem.DoesNotExist:
        raise NotFound("No export with that id.") from None


def list_exports(
    tenant_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ExportItem], str | None]:
    """A page of the tenant's exports, newest first (one Query of gsi1)."""
    bind()
    pk = _pk(tenant_id)
    return query_page(
        lambda **kw: ExportItem.gsi1.query(pk, scan_index_forward=False, **kw),
        limit=limit,
        cursor=cursor,
        partition=("gsi1pk", pk),
    )


def claim_export(item: ExportItem, *, owner: str) -> bool:
    """queued → running for ``owner`` (or a retry by the same owner): one delivery runs it."""
    condition = (ExportItem.status == "queued") | (
        (ExportItem.status == "running") & (ExportItem.owner == owner)
    )
    actions = [
        ExportItem.status.set("running"),
        ExportItem.owner.set(owner),
        ExportItem.updated_at.set(now_iso()),
    ]
    return _update(item, actions, condition)


def finish_export(item: ExportItem, *, owner: str, status: str, **values: Any) -> bool:
    now = now_iso()
    actions = [getattr(ExportItem, k).set(v) for k, v in values.items()]
    actions += [
        ExportItem.status.set(status),
        ExportItem.updated_at.set(now),
        ExportItem.finished_at.set(now),
    ]
    return _update(item, actions, ExportItem.owner == owner)


def fail_abandoned(item: ExportItem, *, owner: str, message: str) -> bool:
    """End as ``failed`` an export whose queue message SQS gave up on (its dead-letter queue):
    still queued, or running for that message's deliveries; otherwise left as it is."""
    now = now_iso()
    actions = [
        ExportItem.status.set("failed"),
        ExportItem.message.set(message),
        ExportItem.updated_at.set(now),
        ExportItem.finished_at.set(now),
    ]
    condition = (ExportItem.status == "queued") | (
        (ExportItem.status == "running") & (ExportItem.owner == owner)
    )
    return _update(item, actions, condition)


def _update(item: ExportItem, actions: list, condition: Any) -> bool:
    bind()
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True
