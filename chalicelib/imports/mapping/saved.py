"""Mapping use cases: validate against a tenant's fields, save for reuse, start a waiting import."""

from __future__ import annotations

from typing import Any

from chalicelib import aws
from chalicelib.domain.errors import Conflict, FieldError, ValidationFailed
from chalicelib.imports.catalog.rules import check_match_rules
from chalicelib.imports.mapping.columns import Mapping, headers_signature, parse_mapping
from chalicelib.messages import continue_body
from chalicelib.settings import get_settings
from chalicelib.store import imports as records
from chalicelib.store import mappings as store
from chalicelib.store.base import new_id


def tenant_mapping(
    tenant_id: str, data: Any, headers: list[str], target: str | None = None
) -> Mapping:
    """parse_mapping with the tenant's custom fields and customer label."""
    from chalicelib.store.custom_fields import custom_field_definitions
    from chalicelib.store.tenant_settings import get_tenant_settings

    return parse_mapping(
        data,
        headers,
        target,
        custom_fields=custom_field_definitions(tenant_id),
        customer_label=get_tenant_settings(tenant_id).customer_label,
    )


def _values(name: str, mapping: Mapping) -> dict[str, Any]:
    return {
        "name": name.strip(),
        "target": mapping.target,
        "mapping": mapping.to_dict(),
        "headers": list(mapping.headers),
        "headers_signature": headers_signature(mapping.headers),
    }


def save_mapping(tenant_id: str, name: str, mapping: Mapping, by: str | None) -> store.MappingItem:
    return store.create_mapping(tenant_id, _values(name, mapping), by)


def create_saved(tenant_id: str, body: dict[str, Any], by: str | None) -> dict[str, Any]:
    mapping = tenant_mapping(tenant_id, body["mapping"], body["headers"], body.get("target"))
    return save_mapping(tenant_id, body["name"], mapping, by).to_dict()


def update_saved(
    tenant_id: str, mapping_id: str, body: dict[str, Any], *, version: int | None, by: str | None
) -> dict[str, Any]:
    current = store.get_mapping(tenant_id, mapping_id)
    headers = body.get("headers") or list(current.headers)
    data = body.get("mapping") or current.mapping
    mapping = tenant_mapping(tenant_id, data, headers, body.get("target") or current.target)
    values = _values(body.get("name") or current.name, mapping)
    item = store.update_mapping(tenant_id, mapping_id, values, expected_version=version, by=by)
    return item.to_dict()


def start_import(
    tenant_id: str,
    import_id: str,
    *,
    mapping: dict[str, Any] | None,
    has_headers: bool | None,
    save_mapping_as: str | None,
    dry_run: bool | None,
    by: str | None,
    sheet: str | None = None,
    on_invalid_value: str | None = None,
    mapping_id: str | None = None,
    match_on: list[str] | None = None,
    mode: str | None = None,
    blank_cells: str | None = None,
) -> dict[str, Any]:
    """Check the mapping (given, or saved under ``mapping_id``) against the analysed headers,
    save it if asked, queue the import.

    ``sheet`` naming another sheet of the analysed workbook queues the import to read that
    sheet instead (see ``_start_on_sheet``; no mapping needed). ``on_invalid_value`` given
    goes with the mapping (and so with the one saved); so do ``match_on``, ``mode`` and
    ``blank_cells``, which also win over those given when the import was created.

    Raises ValidationFailed (422: neither or both of mapping and mapping_id given, a mapping
    that does not fit or lacks a required field), NotFound (404: no such import or saved
    mapping), Conflict (409: the import is not waiting for a mapping).
    """
    rules = check_match_rules({"match_on": match_on, "mode": mode, "blank_cells": blank_cells})
    item = records.get_import(tenant_id, import_id)
    if item.status != "needs_mapping" or not item.analysis:
        raise Conflict(f"The import is {item.status.replace('_', ' ')}, not waiting for a mapping.")
    if sheet is not None and sheet.casefold() != (item.analysis.get("sheet") or "").casefold():
        return _start_on_sheet(item, sheet, mapping, dry_run)
    if (mapping is None) == (mapping_id is None):
        message = "give either mapping or mapping_id (or a `sheet` to read)"
        raise ValidationFailed([FieldError("mapping", message)])
    used: dict[str, Any] = {"id": None, "name": None, "matched_by": "given"}
    if mapping_id is not None:
        saved_item = store.get_mapping(tenant_id, mapping_id)
        mapping = saved_item.mapping
        used = {"id": saved_item.id, "name": saved_item.name, "matched_by": "mapping_id"}
    headers = _headers_to_map(item.analysis, has_headers)
    if has_headers is not None:
        mapping = {**mapping, "has_headers": has_headers}
    if on_invalid_value is not None:
        mapping = {**mapping, "on_invalid_value": on_invalid_value}
    if isinstance(mapping, dict):
        mapping = {**mapping, **rules}
    target = item.target or (mapping.get("target") if isinstance(mapping, dict) else None)
    parsed = tenant_mapping(tenant_id, mapping, headers, target or "customers")
    missing = parsed.missing_required()
    if missing:
        raise ValidationFailed([FieldError("mapping", message) for message in missing])
    if save_mapping_as:
        saved = save_mapping(tenant_id, save_mapping_as, parsed, by)
        used.update(id=saved.id, name=saved.name)
    queued = records.queue_with_mapping(
        item,
        mapping=parsed.to_dict(),
        has_headers=parsed.has_headers,
        target=parsed.target,
        dry_run=dry_run,
        mapping_id=used["id"],
        mapping_used=used,
        on_invalid_value=on_invalid_value,
        match_rules={**(item.match_rules or {}), **rules} or None,
    )
    if not queued:
        raise Conflict("The import is no longer waiting for a mapping.")
    aws.client("sqs").send_message(
        QueueUrl=get_settings().import_queue_url,
        MessageBody=continue_body(tenant_id, import_id, f"start-{new_id()}"),
    )
    return records.get_import(tenant_id, import_id).to_dict()


def _start_on_sheet(
    item: records.ImportItem, sheet: str, mapping: dict[str, Any] | None, dry_run: bool | None
) -> dict[str, Any]:
    """Queue the import to read ``sheet``, one the analysis listed: analysed again when no
    mapping is given, else run with ``mapping`` if it fits that sheet's headers."""
    names = [s["name"] for s in item.analysis.get("sheets") or []]
    chosen = next((n for n in names if n.casefold() == sheet.strip().casefold()), None)
    if chosen is None:
        message = (
            f"is not a sheet of this workbook (it has {', '.join(names)})"
            if names
            else "can only be given for a workbook (.xlsx)"
        )
        raise ValidationFailed([FieldError("sheet", message)])
    if not records.queue_for_sheet(item, sheet=chosen, mapping=mapping, dry_run=dry_run):
        raise Conflict("The import is no longer waiting for a mapping.")
    aws.client("sqs").send_message(
        QueueUrl=get_settings().import_queue_url,
        MessageBody=continue_body(item.tenant_id, item.id, f"start-{new_id()}"),
    )
    return records.get_import(item.tenant_id, item.id).to_dict()


def _headers_to_map(analysis: dict[str, Any], has_headers: bool | None) -> list[str]:
    """The analysed headers, or "Column C"… when the user says the file has no header row."""
    from chalicelib.imports.read.headers import column_letter

    if has_headers is False and analysis.get("has_headers"):
        return [f"Column {column_letter(i)}" for i in analysis.get("columns", [])]
    if has_headers and not analysis.get("has_headers"):
        message = "the file was read without a header row; upload it again with has_headers true"
        raise ValidationFailed([FieldError("has_headers", message)])
    return list(analysis["headers"])
