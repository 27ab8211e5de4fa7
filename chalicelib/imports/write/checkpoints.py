"""The stored plan: an import's writes as checkpoint groups, one JSON line each, gzipped in S3.

The import record's ``checkpoint`` counts the groups written; a retry or follow-on skips them.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from chalicelib.imports.write.batches import (
    CustomerNumbers,
    batches,
    checkpoint_groups,
    row_writes,
)

IMPORTER = "importer"  # created_by / updated_by of what an import writes


def plan_key(item: Any) -> str:
    """Where an import's plan waits in S3 between planning and its last batch."""
    return f"work/{item.tenant_id}/{item.id}/plan.jsonl.gz"


def spool_plan(
    path: str,
    outcomes: Iterable,
    writer: Any,
    item: Any,
    numbers: CustomerNumbers,
    now: str,
) -> int:
    """The rows' writes and ledger entries (store/import_rows.py) packed into batches and
    checkpoint groups at ``path``; the group count. Every row counts as written once its
    group is: its entry is in it."""
    writes = row_writes(
        outcomes,
        writer,
        item.tenant_id,
        now=now,
        by=IMPORTER,
        next_number=numbers,
        ledger=ledger_writer(item.tenant_id, item.id),
    )
    count = 0
    with gzip.open(path, "wt") as out:
        for group in checkpoint_groups(batches(writes)):
            out.write(json.dumps(group.to_json(), separators=(",", ":")) + "\n")
            count += 1
    return count


def ledger_writer(tenant_id: str, import_id: str) -> Callable[[int, Any, Any], dict]:
    """``(seq, outcome, record as written) → the put of that row's ledger entry``."""
    from chalicelib.imports.write.ledger import ledger_entry
    from chalicelib.store.import_rows import row_put

    return lambda seq, outcome, record: row_put(
        tenant_id, import_id, seq, ledger_entry(outcome, record)
    )


def groups_from(path: str, checkpoint: int) -> Iterator[tuple[int, dict]]:
    """``(index, group)`` of a stored plan from the checkpoint on."""
    with gzip.open(path, "rt") as lines:
        for index, line in enumerate(lines):
            if index >= checkpoint:
                yield index, json.loads(line)
