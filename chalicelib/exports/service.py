"""Export use cases: queue an export, run it in the worker, report its status with a link."""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

from chalicelib.exports.workbook import tenant_names, tenant_register, write_export
from chalicelib.imports.catalog.model import TARGETS
from chalicelib.messages import export_body

log = logging.getLogger("sitebook.exports")


def run_export(tenant_id: str, export_id: str, *, owner: str, s3: Any = None) -> None:
    """Produce an export's workbook in S3 and finish its record; a repeat delivery does nothing.

    The import worker calls this for an ``export`` message; tests may call it directly.
    """
    from chalicelib import aws
    from chalicelib.domain.errors import NotFound
    from chalicelib.settings import get_settings
    from chalicelib.store import exports as records
    from chalicelib.store.custom_fields import custom_field_definitions
    from chalicelib.store.tenant_settings import get_tenant_settings

    try:
        item = records.get_export(tenant_id, export_id)
    except NotFound:
        log.warning("export %s/%s: no such export; message ignored", tenant_id, export_id)
        return
    if item.status in records.FINISHED or not records.claim_export(item, owner=owner):
        return
    s3 = s3 or aws.client("s3")
    label = get_tenant_settings(tenant_id).customer_label
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, records.FILE_NAME)
            counts = write_export(
                path,
                tenant_register(tenant_id),
                tenant_names(tenant_id),
                customer_label=label,
                custom_fields=custom_field_definitions(tenant_id),
                targets=item.targets or TARGETS,
            )
            s3.upload_file(path, get_settings().bucket_name, item.s3_key)
    except Exception:
        log.exception("export %s/%s failed", tenant_id, export_id)
        records.finish_export(
            item, owner=owner, status="failed", message="The export failed; please try again."
        )
        return
    records.finish_export(item, owner=owner, status="succeeded", counts=counts)


def request_export(
    tenant_id: str,
    user_id: str | None,
    targets: list[str] | None,
    requested_by: dict[str, str | None] | None = None,
) -> dict:
    """Create the export record and queue it for the worker (an API call has only 30 s).

    ``requested_by``: ``{sub, client_id}`` of the token that asked, kept on the record.
    """
    from chalicelib import aws
    from chalicelib.settings import get_settings
    from chalicelib.store import exports as records

    chosen = [t for t in TARGETS if t in set(targets or TARGETS)]
    item = records.create_export(tenant_id, targets=chosen, by=user_id, requested_by=requested_by)
    aws.client("sqs").send_message(
        QueueUrl=get_settings().import_queue_url, MessageBody=export_body(tenant_id, item.id)
    )
    return export_status(tenant_id, item.id, item=item)


def list_exports(
    tenant_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the tenant's exports, newest first, each as ``export_status`` shows it."""
    from chalicelib.store import exports as records

    items, nxt = records.list_exports(tenant_id, limit=limit, cursor=cursor)
    return [export_status(tenant_id, item.id, item=item) for item in items], nxt


def export_status(tenant_id: str, export_id: str, *, item: Any = None) -> dict[str, Any]:
    """The export record, with a presigned download link once its workbook is written."""
    from chalicelib.downloads import download_url, link_expiry
    from chalicelib.store import exports as records

    item = item or records.get_export(tenant_id, export_id)
    data = item.to_dict()
    done = item.status == "succeeded"
    data["url"] = download_url(item.s3_key, records.FILE_NAME) if done else None
    data["expires_at"] = link_expiry() if done else None
    return data
