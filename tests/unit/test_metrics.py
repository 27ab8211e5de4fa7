"""Import and webhook metrics leave as one CloudWatch EMF line per handler call, or none."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta

from chalicelib.imports.report.finish import count_finished_import
from chalicelib.observability import NAMESPACE, flush_metrics
from chalicelib.store.imports import ImportItem


def emf_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if '"_aws"' in line]


def test_a_finished_import_flushes_its_rows_warnings_failures_and_seconds(capsys):
    started = (datetime.now(UTC) - timedelta(seconds=42)).isoformat().replace("+00:00", "Z")
    item = ImportItem("t1#IMPORT", "i1", rows_total=10, warnings_total=2, started_at=started)

    count_finished_import(item, failed_rows=3)
    flush_metrics()

    [line] = emf_lines(capsys.readouterr().out)
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert set(directive["Dimensions"][0]) == {"service", "stage"}
    assert (line["RowsImported"], line["FailedRows"], line["ImportWarnings"]) == ([7], [3], [2])
    assert 42 <= line["ImportSeconds"][0] < 60


def test_a_handler_that_recorded_nothing_prints_nothing_and_warns_nothing(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flush_metrics()
    assert emf_lines(capsys.readouterr().out) == []
