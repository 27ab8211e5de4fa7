"""Which mapping an own-format import runs with: the one given, a saved one, or none yet."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.imports.mapping.columns import Mapping, headers_signature, parse_mapping

log = logging.getLogger("sitebook.imports")


def chosen_mapping(
    item: Any,
    headers: list[str],
    label: str,
    custom: tuple,
    recorded: dict[str, Any] | None = None,
) -> tuple[tuple[Mapping, dict[str, Any]] | None, str | None]:
    """``((mapping, mapping_used), None)``, or ``(None, why the mapping named cannot run)``.

    Tried in turn: the mapping given, the saved one by id, the one of the import whose error
    workbook this is (``recorded``, from mapping.recorded.recorded_in), the newest saved for
    these headers. ``item`` is the import record; the problem is None when no mapping was named.
    """
    problem = None
    for data, used in _candidates(item, headers, item.target or "customers", recorded):
        if data is None:
            return None, used  # the saved mapping named is gone: ``used`` says so
        # Without a target of its own, the import takes the one of the mapping chosen.
        target = item.target or data.get("target") or "customers"
        try:
            mapping = parse_mapping(
                data, headers, target, custom_fields=custom, customer_label=label
            )
        except ValidationFailed as exc:
            faults = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            problem = f"The mapping does not fit this file ({faults})"
            continue
        if mapping.is_complete():
            return (mapping, used), None
        problem = f"The mapping is incomplete ({'; '.join(mapping.missing_required())})"
    return None, problem if (item.mapping or item.mapping_id) else None


def _candidates(
    item: Any, headers: list[str], target: str, recorded: dict[str, Any] | None
) -> list[tuple[Any, Any]]:
    from chalicelib.store.mappings import get_mapping, mapping_for_headers

    if item.mapping:
        used = item.mapping_used or {"id": None, "name": None, "matched_by": "given"}
        return [(item.mapping, used)]
    if not item.mapping_id and recorded:
        earlier = _recorded_candidate(item.tenant_id, recorded)
        if earlier is not None:
            return [earlier]
    if item.mapping_id:
        try:
            saved = get_mapping(item.tenant_id, item.mapping_id)
        except NotFound:
            return [(None, "The saved mapping chosen for this import was deleted")]
        by = "mapping_id"
    else:
        saved = mapping_for_headers(item.tenant_id, headers_signature(headers))
        if saved is not None and saved.target != target:
            saved = None
        by = "headers"
    if saved is None:
        return []
    return [(saved.mapping, {"id": saved.id, "name": saved.name, "matched_by": by})]


def _recorded_candidate(tenant_id: str, recorded: dict[str, Any]) -> tuple[Any, Any] | None:
    """The mapping an earlier import of this tenant ran with, named by its error workbook."""
    from chalicelib.store.imports import get_import

    used = {"id": None, "name": None, "matched_by": "error_workbook"}
    used["import_id"] = recorded["import_id"]
    try:
        earlier = get_import(tenant_id, recorded["import_id"])
    except NotFound:  # deleted, or another tenant's workbook: its own copy of the mapping
        return (recorded["mapping"], used) if recorded.get("mapping") else None
    if not earlier.mapping:
        return None
    ran = earlier.mapping_used or {}
    used.update(id=ran.get("id"), name=ran.get("name"))
    return earlier.mapping, used


def save_given_mapping(item: Any, mapping: Mapping) -> None:
    """Save the mapping given with the import under ``save_mapping_as``; a taken name is logged."""
    from chalicelib.imports.mapping.saved import save_mapping

    try:
        save_mapping(item.tenant_id, item.save_mapping_as, mapping, item.created_by)
    except Conflict:  # saved by an earlier attempt, or the name is taken: the import goes on
        log.info("import %s: mapping name %r is taken", item.id, item.save_mapping_as)
