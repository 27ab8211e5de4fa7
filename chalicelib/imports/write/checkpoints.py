"""The stored plan: an import's row transactions as checkpoint groups, one JSON line each,
gzipped in S3.

The import record's ``checkpoint`` counts the groups written; a retry or follow-on skips them.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from typing import Any

from chalicelib.imports.write.batches import CustomerNumbers, checkpoint_groups, row_writes

IMPORTER = "importer"  # created_by / updated_by of what an import writes


def plan_key(item: Any) -> str:
    """Where an import's plan waits in S3 between planning and its last batch."""
    return f"work/{item.tenant_id}/{item.id}/plan.jsonl.gz"


def spool_plan(
    path: str, outcomes: Iterable, writer: Any, tenant_id: str, numbers: CustomerNumbers, now: str
) -> int:
    """The rows' transactions in checkpoint groups at ``path``; the group count."""
    writes = row_writes(outcomes, writer, tenant_id, now=now, by=IMPORTER, next_number=numbers)
    count = 0
    with gzip.open(path, "wt") as out:
        for group in checkpoint_groups(writes):
            out.write(json.dumps(group.to_json(), separators=(",", ":")) + "\n")
            count += 1
    return count


def groups_from(path: str, checkpoint: int) -> Iterator[tuple[int, dict]]:
    """``(index, group)`` of a stored plan from the checkpoint on."""
    with gzip.open(path, "rt") as lines:
        for index, line in enumerate(lines):
            if index >= checkpoint:
                yield index, json.loads(line)
