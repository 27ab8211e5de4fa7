"""Stage 6: what an import reports — the summary document and the workbook of failed rows."""

from __future__ import annotations

import os
from typing import Any

from chalicelib.imports.plan import Plan
from chalicelib.imports.rows import SheetLayout
from chalicelib.imports.workbook_writer import write_error_workbook

MAX_ERRORS_ON_RECORD = 100


def summary(plan: Plan, *, import_id: str, dry_run: bool) -> dict[str, Any]:
    """results.json: counts per target, every row error, and whether anything was written."""
    errors = [e.to_dict() for e in plan.errors]
    return {
        "import_id": import_id,
        "dry_run": dry_run,
        "rows_total": len(plan.outcomes),
        "counts": plan.counts,
        "errors_total": len(errors),
        "errors": errors,
    }


def final_status(plan: Plan) -> str:
    return (
        "completed_with_errors" if any(o.action == "failed" for o in plan.outcomes) else "succeeded"
    )


def write_errors_workbook(plan: Plan, layouts: list[SheetLayout], path: str | os.PathLike) -> bool:
    """The failed rows per sheet, original columns plus Error; False (nothing written) if none."""
    failed: dict[str, list[tuple[tuple, str]]] = {}
    for outcome in plan.outcomes:
        if outcome.action == "failed":
            message = "; ".join(
                f"{e.column}: {e.message}" if e.column else e.message for e in outcome.errors
            )
            failed.setdefault(outcome.row.sheet, []).append((outcome.row.values, message))
    if not failed:
        return False
    sheets = {
        layout.sheet: (list(layout.headers), failed[layout.sheet])
        for layout in layouts
        if layout.sheet in failed
    }
    write_error_workbook(path, sheets)
    return True
