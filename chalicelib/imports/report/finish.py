"""The finish use case: results published to S3 (and beside a partner's file), the record closed."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from chalicelib.imports.ports import Ports
from chalicelib.imports.report.results import Results, import_status
from chalicelib.observability import count
from chalicelib.store import imports as records


def publish_results(
    item: records.ImportItem, ports: Ports, results: Results, layouts: list, folder: str
) -> dict[str, str]:
    """Upload results.json (and errors.xlsx when rows failed or were warned); their S3 keys by
    name.

    An own-format errors.xlsx records the import and its mapping (imports.mapping.recorded).
    """
    from chalicelib.imports.mapping.recorded import recording_properties

    prefix = records.results_prefix(item.tenant_id, item.id)
    bucket = ports.settings.bucket_name
    keys = {"results": f"{prefix}results.json"}
    summary_path = os.path.join(folder, "results.json")
    results.write_summary(summary_path, import_id=item.id, dry_run=item.dry_run)
    ports.s3.upload_file(
        summary_path, bucket, keys["results"], ExtraArgs={"ContentType": "application/json"}
    )
    errors_path = os.path.join(folder, "errors.xlsx")
    if results.write_errors_workbook(errors_path, layouts, recording_properties(item)):
        keys["errors"] = f"{prefix}errors.xlsx"
        ports.s3.upload_file(errors_path, bucket, keys["errors"])
    if item.s3_key.startswith("drops/"):
        # Partners find results beside their file (one level down, so no new import starts).
        folder_key, _, file_name = item.s3_key.rpartition("/")
        for name, key in keys.items():
            suffix = "results.json" if name == "results" else "errors.xlsx"
            ports.s3.copy_object(
                Bucket=bucket,
                Key=f"{folder_key}/results/{file_name}.{suffix}",
                CopySource={"Bucket": bucket, "Key": key},
            )
    return keys


def result_fields(results: Results, result_keys: dict[str, str]) -> dict[str, Any]:
    """What the import record keeps of its results: totals, counts, first errors and warnings,
    S3 keys."""
    return dict(
        rows_total=results.rows_total,
        counts=results.counts,
        errors=results.first_errors,
        errors_total=results.errors_total,
        warnings=results.first_warnings,
        warnings_total=results.warnings_total,
        result_keys=result_keys,
    )


def finish(item: records.ImportItem, ports: Ports, *, owner: str) -> None:
    """Every batch is written: close the record with its final status, drop the stored plan.

    Closed once: a second finisher (a finisher's retry after it closed the record, or two
    copies of the last part's message at once, imports/write/parts.py) only cleans up."""
    from chalicelib.imports.write.checkpoints import delete_races, plan_key

    if item.rows_lost:
        amend_results(item, ports)
    failed = sum((counts or {}).get("failed", 0) for counts in (item.counts or {}).values())
    closed = records.finish_import(
        item,
        owner=owner,
        running=True,
        status=import_status(failed or item.errors_total, item.warnings_total or 0),
        rows_done=item.rows_total,
        # As settled: per group when written in order, here when spread (write/parts.py).
        counts=item.counts,
        errors=item.errors,
        errors_total=item.errors_total,
        rows_lost=item.rows_lost or 0,
    )
    ports.s3.delete_object(Bucket=ports.settings.bucket_name, Key=plan_key(item))
    if item.rows_lost:
        delete_races(ports.s3, ports.settings.bucket_name, item)
    if closed:
        count_finished_import(item, failed)


def count_finished_import(item: records.ImportItem, failed_rows: int) -> None:
    """The import's metrics (rows imported, failed rows, warnings, seconds from start to end)."""
    rows = item.rows_total or 0
    count("RowsImported", max(rows - failed_rows, 0))
    count("FailedRows", failed_rows)
    count("ImportWarnings", item.warnings_total or 0)
    if item.started_at:
        started = datetime.fromisoformat(item.started_at.replace("Z", "+00:00"))
        count("ImportSeconds", (datetime.now(UTC) - started).total_seconds(), "Seconds")


def fail(item: records.ImportItem, owner: str | None, message: str) -> None:
    """End the import as ``failed`` with a message the user can act on; returns None."""
    records.finish_import(item, owner=owner, status="failed", message=message)
    count("ImportsFailed", 1)


def amend_results(item: records.ImportItem, ports: Ports) -> None:
    """results.json, published when the plan was made, amended with the rows that lost a race
    while written: the record's counts and error total, and those rows' errors.

    (The error workbook is left as planned: a lost row needs no fix, only importing again.)
    """
    import json
    import tempfile

    from chalicelib.imports.write.checkpoints import load_races

    key = (item.result_keys or {}).get("results")
    if not key:
        return
    bucket = ports.settings.bucket_name
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "results.json")
        ports.s3.download_file(bucket, key, path)
        with open(path) as stored:
            summary = json.load(stored)
        summary["counts"] = item.counts
        summary["errors_total"] = item.errors_total
        _, races = load_races(ports.s3, bucket, item)
        planned = [e for e in summary.get("errors", []) if e not in races]  # a retried finish
        summary["errors"] = planned + races
        with open(path, "w") as out:
            json.dump(summary, out)
        ports.s3.upload_file(path, bucket, key, ExtraArgs={"ContentType": "application/json"})
    if item.s3_key.startswith("drops/"):
        folder_key, _, file_name = item.s3_key.rpartition("/")
        ports.s3.copy_object(
            Bucket=bucket,
            Key=f"{folder_key}/results/{file_name}.results.json",
            CopySource={"Bucket": bucket, "Key": key},
        )
