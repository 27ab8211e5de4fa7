"""Import use cases behind the routes: template link, catalog, upload start, status with links."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from chalicelib import aws
from chalicelib.downloads import download_url, link_expiry
from chalicelib.imports.catalog.fields import fields_for, required_rules, template_custom_fields
from chalicelib.imports.catalog.model import TARGETS
from chalicelib.settings import get_settings
from chalicelib.store import imports as records
from chalicelib.store.base import new_id

# An upload begun just before its link expires may finish (and be notified) a little later.
UPLOAD_GRACE_SECONDS = 600


def template_link(tenant_id: str) -> dict[str, str]:
    """Write the tenant's template (labels, dropdowns, custom fields as of now) to S3; link it."""
    from chalicelib.imports.template import USERS_LIST, write_template
    from chalicelib.store.custom_fields import custom_field_definitions
    from chalicelib.store.lookups import all_lookups
    from chalicelib.store.tenant_settings import get_tenant_settings
    from chalicelib.store.users import all_users

    tenant = get_tenant_settings(tenant_id)
    kinds = (
        "customer-types",
        "lead-sources",
        "contact-roles",
        "equipment-types",
        "payment-terms",
        "price-levels",
    )
    names = {
        kind: sorted(i.name for i in all_lookups(tenant_id, kind) if i.active) for kind in kinds
    }
    names[USERS_LIST] = sorted(u.name for u in all_users(tenant_id) if u.active)
    key = f"templates/{tenant_id}/{new_id()}/sitebook-import-template.xlsx"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "template.xlsx")
        write_template(path, tenant.customer_label, names, custom_field_definitions(tenant_id))
        aws.client("s3").upload_file(path, get_settings().bucket_name, key)
    return {"url": download_url(key, "sitebook-import-template.xlsx"), "expires_at": link_expiry()}


def field_catalog(tenant_id: str) -> dict[str, Any]:
    """The columns of the tenant's template per target: its labels, its active custom fields."""
    from chalicelib.store.custom_fields import custom_field_definitions
    from chalicelib.store.tenant_settings import get_tenant_settings

    label = get_tenant_settings(tenant_id).customer_label
    custom = template_custom_fields(custom_field_definitions(tenant_id))
    return {
        "targets": {
            target: {
                "fields": [f.to_dict() for f in fields_for(target, label, custom)],
                "required": [r.to_dict() for r in required_rules(target, label, custom)],
            }
            for target in TARGETS
        }
    }


def start_upload(
    tenant_id: str,
    user_id: str,
    *,
    source: str,
    file_name: str,
    dry_run: bool,
    mapping: dict | None = None,
    mapping_id: str | None = None,
    target: str | None = None,
    has_headers: bool | None = None,
    save_mapping_as: str | None = None,
    sheet: str | None = None,
    on_invalid_value: str | None = None,
    requested_by: dict[str, str | None] | None = None,
    match_on: list[str] | None = None,
    mode: str | None = None,
    blank_cells: str | None = None,
) -> dict[str, Any]:
    """Create the import record and a presigned POST limited to the configured size.

    ``requested_by``: ``{sub, client_id}`` of the token that asked, kept on the record.
    ``match_on``, ``mode`` and ``blank_cells`` (catalog/rules.py) given are kept on the record
    and win over the mapping's; given with a mapping, the mapping keeps them too. Bad ones:
    ValidationFailed naming the field.

    ``sheet`` names the workbook sheet an own-format import reads (else the first visible
    sheet holding a table). ``on_invalid_value`` (skip_value | fail_row) not given: a
    template import takes the default, an own-format one its mapping's once chosen; given
    with a mapping, the mapping keeps it (so ``save_mapping_as`` saves it too).
    An own-format record's ``target`` is the one given, else set when its mapping is chosen.

    Raises ValidationFailed (422) for a file the source cannot read (a .csv sent as a template
    is told to use ``own_format``) and NotFound for an unknown ``mapping_id``. The record ends
    ``expired`` if no file arrives within the link's lifetime and UPLOAD_GRACE_SECONDS.
    """
    from chalicelib.domain.file_names import clean_file_name
    from chalicelib.imports.catalog.model import DEFAULT_ON_INVALID_VALUE
    from chalicelib.imports.catalog.rules import check_match_rules

    file_name = clean_file_name(file_name)
    rules = check_match_rules({"match_on": match_on, "mode": mode, "blank_cells": blank_cells})
    if source == "own_format":
        _check_own_format(tenant_id, file_name, mapping_id)
        if mapping is not None and on_invalid_value:
            mapping = {**mapping, "on_invalid_value": on_invalid_value}
        if isinstance(mapping, dict):
            mapping = {**mapping, **rules}
    else:
        _check_template(file_name)
        mapping = mapping_id = target = has_headers = save_mapping_as = sheet = None
        on_invalid_value = on_invalid_value or DEFAULT_ON_INVALID_VALUE
    settings = get_settings()
    item, _ = records.create_import(
        tenant_id,
        source=source,
        file_name=file_name,
        dry_run=dry_run,
        by=user_id,
        mapping=mapping,
        mapping_id=mapping_id,
        target=target,
        has_headers=has_headers,
        save_mapping_as=save_mapping_as,
        sheet=sheet,
        on_invalid_value=on_invalid_value,
        match_rules=rules,
        upload_deadline=link_expiry(UPLOAD_GRACE_SECONDS, timespec="milliseconds"),
        requested_by=requested_by,
    )
    upload = aws.client("s3").generate_presigned_post(
        settings.bucket_name,
        item.s3_key,
        Conditions=[["content-length-range", 1, settings.max_upload_bytes]],
        ExpiresIn=settings.presign_seconds,
    )
    return {
        **item.to_dict(),
        "upload": {"url": upload["url"], "fields": upload["fields"], "expires_at": link_expiry()},
    }


def _check_template(file_name: str) -> None:
    """A template import reads our .xlsx template; anything else is the user's own format."""
    from chalicelib.domain.errors import FieldError, ValidationFailed
    from chalicelib.imports.read.tables import file_kind

    if file_kind(file_name) != "xlsx":
        message = (
            "a template import reads the Sitebook template (.xlsx); to import a .csv or your "
            'own spreadsheet, send source "own_format" and map its columns'
        )
        raise ValidationFailed([FieldError("file_name", message)])


def _check_own_format(tenant_id: str, file_name: str, mapping_id: str | None) -> None:
    """An own file must be one we read; a named mapping must exist (404 otherwise)."""
    from chalicelib.domain.errors import FieldError, ValidationFailed
    from chalicelib.imports.read.kinds import TABLE_EXTENSIONS_TEXT, file_kind
    from chalicelib.store.mappings import get_mapping

    if file_kind(file_name) is None:
        message = f"must end in {TABLE_EXTENSIONS_TEXT} for an own-format import"
        raise ValidationFailed([FieldError("file_name", message)])
    if mapping_id:
        get_mapping(tenant_id, mapping_id)


def list_imports(tenant_id: str, *, limit: int, cursor: str | None):
    """A page of imports, newest first; any whose upload never arrived is expired on the way."""
    items, nxt = records.list_imports(tenant_id, limit=limit, cursor=cursor)
    items = records.with_counted_progress([records.expire_overdue(i) for i in items])
    return [i.to_dict() for i in items], nxt


def import_status(tenant_id: str, import_id: str) -> dict[str, Any]:
    """The record with links to its results; ``expired`` once its upload link ran out unused."""
    item = records.expire_overdue(records.get_import(tenant_id, import_id))
    records.with_counted_progress([item])
    data = item.to_dict()
    keys = item.result_keys or {}
    stem = item.file_name.rsplit(".", 1)[0]
    data["results_url"] = (
        download_url(keys["results"], f"results-{stem}.json") if "results" in keys else None
    )
    undo_key = (item.undo or {}).get("report_key")
    data["undo_url"] = download_url(undo_key, f"undo-{stem}.json") if undo_key else None
    data["rows_url"] = f"/v1/imports/{item.id}/rows"
    data["errors_url"] = (
        download_url(keys["errors"], f"errors-{stem}.xlsx") if "errors" in keys else None
    )
    return data


def ledger_rows(
    tenant_id: str, import_id: str, *, outcome: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the import's ledger (store/import_rows.py); NotFound for an unknown import,
    ValidationFailed for an unknown ``outcome``, BadRequest for a cursor of another list."""
    from chalicelib.domain.errors import FieldError, ValidationFailed
    from chalicelib.store.import_rows import OUTCOMES, list_rows

    if outcome is not None and outcome not in OUTCOMES:
        raise ValidationFailed([FieldError("outcome", f"must be one of {', '.join(OUTCOMES)}")])
    records.get_import(tenant_id, import_id)
    return list_rows(tenant_id, import_id, outcome=outcome, limit=limit, cursor=cursor)
