"""The write use case: the stored plan's groups written from the checkpoint on, one at a time."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from enum import Enum
from typing import Any

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
    ``has_time()`` before each group (the caller knows the time limit).

    Each row is one conditional transaction (imports.write.rows); rows that lose a race are
    saved with the checkpoint as failed rows with their errors. Then the group's ledger
    entries are written, a lost row's as failed (imports.write.ledger.lost_at_write): the
    ledger holds what was written. Every row is in a group, so ``rows_done`` is the group's
    ``rows_written``.
    """
    from chalicelib.imports.write.rows import settled_fields

    if item.checkpoint:
        log.info(
            "import %s resumes at batch %d of %d (attempt %d)",
            item.id,
            item.checkpoint,
            item.batches_total,
            item.attempts,
        )

    def save(index: int, group: Any, results: list) -> bool:
        return records.save_progress(
            item,
            owner=owner,
            checkpoint=index + 1,
            rows_done=group.rows_written,
            **settled_fields(item, results),
        )

    return write_groups(
        item, ports, plan_key(item), start=item.checkpoint, save=save, has_time=has_time
    )


def write_groups(
    item: records.ImportItem,
    ports: Ports,
    key: str,
    *,
    start: int,
    save: Callable[[int, Any, list], bool],
    has_time: Callable[[], bool],
    base: int = 0,
) -> Written:
    """Write the groups of the stored plan (or part) at S3 ``key``, whose first group is
    number ``base``, from group ``start`` on; after each, ``save(index, group, results)``
    counts it (False: the import is no longer this delivery's, or the group was counted
    already: stop).

    Rows lost in earlier groups (spooled, imports.write.checkpoints.save_races) are loaded
    first, so a row needing a customer that lost is not written either.
    """
    from chalicelib.imports.write.batches import CheckpointGroup
    from chalicelib.imports.write.checkpoints import (
        IMPORTER,
        ledger_puts_of,
        load_races,
        save_races,
        write_ledger_puts,
    )
    from chalicelib.imports.write.rows import ledger_puts, write_rows
    from chalicelib.store.row_transactions import RowWrite, write_row

    def write(row) -> bool:
        written = write_row(
            ports.dynamodb, ports.settings.table_name, row.items, creates=row.creates
        )
        return written is not RowWrite.LOST

    bucket = ports.settings.bucket_name
    entries = ledger_puts_of(item.tenant_id, item.id)
    lost_customers = load_races(ports.s3, bucket, item)[0] if item.rows_lost else {}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "plan.jsonl.gz")
        ports.s3.download_file(bucket, key, path)
        for offset, stored in groups_from(path, start - base):
            index = base + offset
            if not has_time():
                log.info("import %s pauses at batch %d", item.id, index)
                return Written.PAUSED
            group = CheckpointGroup.from_json(stored).build(
                ports.writer, item.tenant_id, by=IMPORTER, ledger=entries
            )
            results = write_rows(group.rows, write, lost_customers)
            save_races(ports.s3, bucket, item, index, results)
            write_ledger_puts(ports.dynamodb, ports.settings.table_name, ledger_puts(results))
            ports.after_batch(index)
            if not save(index, group, results):
                log.warning("import %s was taken over; this delivery stops", item.id)
                return Written.TAKEN_OVER
    return Written.ALL
