"""Stage 6: what an import reports — counts, errors and warnings, the summary document, and the
workbook of the failed and warned rows.

Outcomes stream through ``Results`` one at a time: it keeps the counts, the first errors and
warnings, and spools the rest to files in a work folder, so a file of any size reports in flat
memory.
"""

from __future__ import annotations

import json
import os
import pickle
from typing import IO, Any

from chalicelib.imports.plan.planner import COUNTED, TARGETS, RowError, RowOutcome
from chalicelib.imports.read.rows import SheetLayout
from chalicelib.imports.report.error_workbook import write_error_workbook

MAX_ERRORS_ON_RECORD = 100


class Results:
    """Counts, the first errors and warnings, and spools of every one and of the rows to fix."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = os.fspath(folder)
        self.counts = {target: dict.fromkeys(COUNTED, 0) for target in TARGETS}
        self.rows_total = 0
        self.errors_total = 0
        self.warnings_total = 0
        self.first_errors: list[dict[str, Any]] = []
        self.first_warnings: list[dict[str, Any]] = []
        self._errors = open(os.path.join(self.folder, "errors.jsonl"), "w+")  # noqa: SIM115
        self._warnings = open(os.path.join(self.folder, "warnings.jsonl"), "w+")  # noqa: SIM115
        # sheet → pickled (values, error message, warning message) per failed or warned row
        self._to_fix: dict[str, IO[bytes]] = {}

    def add(self, outcome: RowOutcome) -> None:
        self.rows_total += 1
        counts = self.counts[outcome.row.target]
        counts[outcome.action] += 1
        counts["warned"] += bool(outcome.warnings)
        self.errors_total += self._spool(outcome.errors, self.first_errors, self._errors)
        self.warnings_total += self._spool(outcome.warnings, self.first_warnings, self._warnings)
        if outcome.errors or outcome.warnings:
            spool = self._to_fix.get(outcome.row.sheet)
            if spool is None:
                path = os.path.join(self.folder, f"to-fix-{len(self._to_fix)}.pickle")
                spool = self._to_fix[outcome.row.sheet] = open(path, "w+b")  # noqa: SIM115
            entry = (outcome.row.values, _messages(outcome.errors), _messages(outcome.warnings))
            pickle.dump(entry, spool)

    @staticmethod
    def _spool(items: list[RowError], first: list[dict[str, Any]], spool: IO[str]) -> int:
        for item in items:
            data = item.to_dict()
            if len(first) < MAX_ERRORS_ON_RECORD:
                first.append(data)
            spool.write(json.dumps(data, default=str) + "\n")
        return len(items)

    @property
    def status(self) -> str:
        """``completed_with_errors`` when a row failed, else ``completed_with_warnings`` when
        a value was left out, else ``succeeded``."""
        return import_status(self.failed_rows, self.warnings_total)

    @property
    def failed_rows(self) -> int:
        return sum(counts["failed"] for counts in self.counts.values())

    def write_summary(self, path: str, *, import_id: str, dry_run: bool) -> None:
        """results.json: counts per target, every row error and warning, whether anything was
        written."""
        head = {
            "import_id": import_id,
            "dry_run": dry_run,
            # every row's outcome, record id and changes, paged by the API
            "rows_url": f"/v1/imports/{import_id}/rows",
            "rows_total": self.rows_total,
            "counts": self.counts,
            "errors_total": self.errors_total,
            "warnings_total": self.warnings_total,
        }
        with open(path, "w") as out:
            out.write(json.dumps(head)[:-1])
            for name, spool in (("errors", self._errors), ("warnings", self._warnings)):
                spool.flush()
                spool.seek(0)
                out.write(f', "{name}": [')
                for index, line in enumerate(spool):
                    out.write(("," if index else "") + line.rstrip("\n"))
                out.write("]")
            out.write("}")

    def write_errors_workbook(
        self, path: str, layouts: list[SheetLayout], properties: dict[str, str] | None = None
    ) -> bool:
        """The failed and the warned rows per sheet, original columns plus Error and Warning;
        False (nothing written) if there are none. ``properties``: the workbook's custom
        document properties (the recorded import and mapping).

        The spools are read back one sheet after another into a write-only workbook.
        """
        if not self._to_fix:
            return False
        sheets = {
            layout.sheet: (list(layout.headers), self._spooled(layout.sheet))
            for layout in layouts
            if layout.sheet in self._to_fix
        }
        write_error_workbook(path, sheets, properties)
        return True

    def _spooled(self, sheet: str):
        spool = self._to_fix[sheet]
        spool.flush()
        spool.seek(0)
        while True:
            try:
                yield pickle.load(spool)  # noqa: S301 - our own spool, written just now
            except EOFError:
                return

    def close(self) -> None:
        self._errors.close()
        self._warnings.close()
        for spool in self._to_fix.values():
            spool.close()

    def __enter__(self) -> Results:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def import_status(failed_rows: int, warnings_total: int) -> str:
    """The final status of an import that ran to its end: a failed row outweighs warnings."""
    if failed_rows:
        return "completed_with_errors"
    return "completed_with_warnings" if warnings_total else "succeeded"


def _messages(items: list[RowError]) -> str | None:
    """One cell's text for a row's errors or warnings: "Column: why; Column: why"."""
    text = "; ".join(f"{e.column}: {e.message}" if e.column else e.message for e in items)
    return text or None
