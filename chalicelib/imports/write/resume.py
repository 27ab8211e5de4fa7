"""The write use case: the stored plan's groups written from the checkpoint on, one at a time."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from enum import Enum

from chalicelib.imports.ports import Ports
from chalicelib.imports.write.checkpoints import groups_from, plan_key
from chalicelib.store import imports as records

log = logging.getLogger("sitebook.imports")


class Written(Enum):
    """How a write pass ended."""

    ALL = "all"  # every group is written: finish the import
    PAUSED = "paused"  # time ran short: a follow-on continues at the checkpoint
    TAKEN_OVER = "taken_over"  # another delivery owns the import now: stop quietly


def write_from_checkpoint(
    item: records.ImportItem, ports: Ports, *, owner: str, has_time: Callable[[], bool]
) -> Written:
    """Write groups from ``item.checkpoint`` on, saving the checkpoint after each; ask
    ``has_time()`` before each group (the caller knows the time limit)."""
    from chalicelib.store.batch_writes import write_group

    if item.checkpoint:
        log.info(
            "import %s resumes at batch %d of %d (attempt %d)",
            item.id,
            item.checkpoint,
            item.batches_total,
            item.attempts,
        )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "plan.jsonl.gz")
        ports.s3.download_file(ports.settings.bucket_name, plan_key(item), path)
        for index, group in groups_from(path, item.checkpoint):
            if not has_time():
                log.info("import %s pauses at batch %d", item.id, index)
                return Written.PAUSED
            write_group(ports.dynamodb, ports.settings.table_name, group["batches"])
            ports.after_batch(index)
            done = group["rows_written"]  # every row's ledger entry is in its group
            if not records.save_progress(item, owner=owner, checkpoint=index + 1, rows_done=done):
                log.warning("import %s was taken over; this delivery stops", item.id)
                return Written.TAKEN_OVER
    return Written.ALL
