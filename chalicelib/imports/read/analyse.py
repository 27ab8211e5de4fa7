"""The analyse use case: fetch the upload, check it, open it as rows or park it for a mapping."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.imports.ports import Ports
from chalicelib.imports.read.rows import RowSource
from chalicelib.store import imports as records
from chalicelib.xlsx.safety import FileLimits, FileRejected

log = logging.getLogger("sitebook.imports")

_TEMPLATE_NOT_TEXT = (
    "This is a CSV or text file, not the import template: upload the template as .xlsx, or "
    "import this file as your own format"
)


class Unreadable(Exception):
    """Reading the file failed in a way that is the file's fault, not a FileRejected check."""


@contextmanager
def analysed(
    item: records.ImportItem, ports: Ports, *, owner: str, folder: str
) -> Iterator[RowSource | None]:
    """The upload's rows as a RowSource, open for the ``with`` block; None when the import ended
    here (no file, too large) or waits for its mapping. Raises FileRejected or Unreadable."""
    from chalicelib.store.custom_fields import custom_field_definitions
    from chalicelib.store.tenant_settings import get_tenant_settings
    from chalicelib.xlsx.safety import open_rows_workbook

    settings = ports.settings
    path = _download(item, ports, owner=owner, folder=folder)
    if path is None:
        yield None
        return
    limits = FileLimits(
        max_file_bytes=settings.max_upload_bytes,
        max_uncompressed_bytes=settings.max_uncompressed_bytes,
        max_rows=settings.max_import_rows,
    )
    tenant = get_tenant_settings(item.tenant_id)
    custom = tuple(custom_field_definitions(item.tenant_id))
    if item.source == "own_format":
        with reading():
            source = _own_format_source(item, owner, path, tenant, limits, custom)
        yield guarded(source) if source is not None else None
        return
    from chalicelib.imports.read.kinds import sniff_kind
    from chalicelib.imports.read.rows import template_source

    kind = sniff_kind(path)
    if kind.kind != "xlsx":
        raise FileRejected(kind.message or _TEMPLATE_NOT_TEXT)
    path = _named_xlsx(path)
    with reading():
        workbook = open_rows_workbook(path, limits)
    try:
        with reading():
            source = template_source(
                workbook, tenant.customer_label, max_rows=limits.max_rows, custom_fields=custom
            )
        yield guarded(source)
    finally:
        workbook.close()


def _download(item: records.ImportItem, ports: Ports, *, owner: str, folder: str) -> str | None:
    """The upload saved under ``folder``; None after failing the import (missing, too large)."""
    from chalicelib.imports.report.finish import fail

    settings = ports.settings
    try:
        head = ports.s3.head_object(Bucket=settings.bucket_name, Key=item.s3_key)
    except ports.s3.exceptions.ClientError:
        return fail(item, owner, "The uploaded file was not found.")
    size = head["ContentLength"]
    if size > settings.max_upload_bytes:
        return fail(
            item,
            owner,
            f"The file is {size / 2**20:.1f} MiB; the largest accepted is "
            f"{settings.max_upload_bytes / 2**20:.0f} MiB.",
        )
    records.save_progress(item, owner=owner, object_etag=head.get("ETag", "").strip('"'))
    extension = item.file_name.rsplit(".", 1)[-1].lower() if "." in item.file_name else ""
    path = os.path.join(folder, f"upload.{extension or 'xlsx'}")
    ports.s3.download_file(settings.bucket_name, item.s3_key, path)
    return path


def _own_format_source(item, owner: str, path: str, tenant, limits: FileLimits, custom: tuple):
    """Rows when a mapping is known, else None after parking the import with our suggestion."""
    from chalicelib.imports.mapping.choose import chosen_mapping, save_given_mapping
    from chalicelib.imports.mapping.proposal import start_body
    from chalicelib.imports.mapping.recorded import recorded_in
    from chalicelib.imports.mapping.suggest import suggest_mapping
    from chalicelib.imports.read.kinds import sniff_kind
    from chalicelib.imports.read.own_format import analysis, own_format_source, sheet_name
    from chalicelib.imports.read.tables import read_table
    from chalicelib.xlsx.safety import check_xlsx

    recorded = None
    if sniff_kind(path).kind == "xlsx":  # by content: a workbook named .csv is one too
        check_xlsx(path, limits)
        recorded = recorded_in(path)  # our own error workbook, fixed and uploaded again
    records.save_progress(item, owner=owner, status="analyzing")
    table = read_table(path, item.file_name, has_headers=item.has_headers, sheet=item.sheet)
    chosen, problem = chosen_mapping(item, table.headers, tenant.customer_label, custom, recorded)
    if chosen is None and problem and item.s3_key.startswith("drops/"):
        raise FileRejected(problem)  # nobody waits at a partner's drop folder to choose
    if chosen is None:
        target = item.target or "customers"
        label = tenant.customer_label
        suggestion = suggest_mapping(
            table.headers, table.sample(), target, custom_fields=custom, customer_label=label
        )
        found = analysis(table, suggestion, _suggested_missing(suggestion))
        found["mapping"] = start_body(suggestion, table.sample())
        records.save_progress(item, owner=owner, target=target)
        records.await_mapping(
            item,
            owner=owner,
            analysis=found,
            message=f"{problem}; choose a mapping." if problem else None,
        )
        return None
    mapping, used = chosen
    # The mapping that ran stays on the record: its error workbook names this import, and a
    # fixed workbook uploaded again runs with it (mapping.choose). mapping_id: a saved one ran.
    records.save_progress(
        item,
        owner=owner,
        status="running",
        mapping_used=used,
        mapping=mapping.to_dict(),
        mapping_id=used.get("id") or item.mapping_id,
        target=mapping.target,
    )
    if item.save_mapping_as and used["matched_by"] == "given":
        save_given_mapping(item, mapping)
    return own_format_source(
        table,
        mapping,
        sheet_name(table, item.file_name),
        max_rows=limits.max_rows,
        country=tenant.default_country,
    )


def _named_xlsx(path: str) -> str:
    """``path`` renamed to end in .xlsx: openpyxl goes by the name, and a workbook may be
    uploaded as "clients.csv"."""
    if path.lower().endswith((".xlsx", ".xlsm")):
        return path
    renamed = os.path.splitext(path)[0] + ".xlsx"
    os.replace(path, renamed)
    return renamed


def _suggested_missing(suggestion: Any) -> list[str]:
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.imports.mapping.columns import mapping_from_suggestion

    try:
        return mapping_from_suggestion(suggestion).missing_required()
    except ValidationFailed:
        return []


@contextmanager
def reading() -> Iterator[None]:
    """Inside, a damaged file's errors (not our checks' FileRejected) become Unreadable."""
    try:
        yield
    except (FileRejected, Unreadable):
        raise
    except Exception as exc:  # openpyxl's and csv's many ways to dislike a damaged file
        raise Unreadable() from exc


def guarded(source: RowSource) -> RowSource:
    """The same RowSource, its reads turning a damaged file's errors into Unreadable."""

    def read(targets):
        with reading():
            yield from source.read(targets)

    return RowSource(source.layouts, read)
