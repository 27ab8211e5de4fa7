"""Stage 6: what an import reports — counts, errors, the summary document, failed rows' workbook.

Outcomes stream through ``Results`` one at a time: it keeps the counts and the first errors,
and spools the rest to files in a work folder, so a file of any size reports in flat memory.
"""

from __future__ import annotations

import json
import os
import pickle
from typing import IO, Any

from chalicelib.imports.plan.planner import ACTIONS, TARGETS, RowOutcome
from chalicelib.imports.read.rows import SheetLayout
from chalicelib.imports.report.error_workbook import write_error_workbook

MAX_ERRORS_ON_RECORD = 100


class Results:
    """Counts, the first errors, and spools of every error and every failed row."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = os.fspath(folder)
        self.counts = {target: dict.fromkeys(ACTIONS, 0) for target in TARGETS}
        self.rows_total = 0
        self.errors_total = 0
        self.first_errors: list[dict[str, Any]] = []
        self._errors = open(os.path.join(self.folder, "errors.jsonl"), "w+")  # noqa: SIM115
        self._failed: dict[str, IO[bytes]] = {}  # sheet → pickled (values, message) per row

    def add(self, outcome: RowOutcome) -> None:
        self.rows_total += 1
        self.counts[outcome.row.target][outcome.action] += 1
        for error in outcome.errors:
            data = error.to_dict()
            self.errors_total += 1
            if len(self.first_errors) < MAX_ERRORS_ON_RECORD:
                self.first_errors.append(data)
            self._errors.write(json.dumps(data, default=str) + "\n")
        if outcome.action == "failed":
            message = "; ".join(
                f"{e.column}: {e.message}" if e.column else e.message for e in outcome.errors
            )
            spool = self._failed.get(outcome.row.sheet)
            if spool is None:
                path = os.path.join(self.folder, f"failed-{len(self._failed)}.pickle")
                spool = self._failed[outcome.row.sheet] = open(path, "w+b")  # noqa: SIM115
            pickle.dump((outcome.row.values, message), spool)

    @property
    def status(self) -> str:
        return "completed_with_errors" if self.failed_rows else "succeeded"

    @property
    def failed_rows(self) -> int:
        return sum(counts["failed"] for counts in self.counts.values())

    @property
    def rows_without_writes(self) -> int:
        return sum(c["unchanged"] + c["failed"] for c in self.counts.values())

    def write_summary(self, path: str, *, import_id: str, dry_run: bool) -> None:
        """results.json: counts per target, every row error, and whether anything was written."""
        head = {
            "import_id": import_id,
            "dry_run": dry_run,
            "rows_total": self.rows_total,
            "counts": self.counts,
            "errors_total": self.errors_total,
        }
        self._errors.flush()
        self._errors.seek(0)
        with open(path, "w") as out:
            out.write(json.dumps(head)[:-1] + ', "errors": [')
            for index, line in enumerate(self._errors):
                out.write(("," if index else "") + line.rstrip("\n"))
            out.write("]}")

    def write_errors_workbook(
        self, path: str, layouts: list[SheetLayout], properties: dict[str, str] | None = None
    ) -> bool:
        """The failed rows per sheet, original columns plus Error; False (nothing written) if none.

        The spools are read back one sheet after another into a write-only workbook.
        """
        if not self._failed:
            return False
        sheets = {
            layout.sheet: (list(layout.headers), self._spooled(layout.sheet))
            for layout in layouts
            if layout.sheet in self._failed
        }
        write_error_workbook(path, sheets, properties)
        return True

    def _spooled(self, sheet: str):
        spool = self._failed[sheet]
        spool.flush()
        spool.seek(0)
        while True:
            try:
                yield pickle.load(spool)  # noqa: S301 - our own spool, written just now
            except EOFError:
                return

    def close(self) -> None:
        self._errors.close()
        for spool in self._failed.values():
            spool.close()

    def __enter__(self) -> Results:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
