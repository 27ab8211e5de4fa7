"""The import watchdog: an import written by parts ends even when every delivery of its parts
stopped without leaving a message behind.

The dead-letter queue closes work whose deliveries died; a delivery that returns normally
deletes its message, so a part that stopped wrongly (a count refused and taken for a takeover,
say) leaves an import ``running`` with nothing queued to continue it. Every STALL_SECONDS
without progress on its counter (store/import_parts.py: a group counted, a level queued), the
watchdog first re-queues the parts under way (write/parts.py:requeue_stalled), recording the
nudge on the counter; after NUDGES nudges with no progress it fails the import, saying what
was written. Imports are found by their watch markers (one Query), run every
WATCH_EVERY_MINUTES by app.import_watchdog (locally, devstack/pump.py).
docs/decisions/import-write-scaling.md ("The watchdog") says why these figures.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from chalicelib.domain.errors import NotFound
from chalicelib.imports.ports import Ports

log = logging.getLogger("sitebook.imports")

WATCH_EVERY_MINUTES = 5
# Above the longest normal pause between two counts: a part killed at the Lambda's 15-minute
# limit returns after the import queue's visibility timeout (infra: 5,400 s), 105 minutes in
# all; throttled writes retried by the worker's budget take minutes, not hours.
STALL_SECONDS = 2 * 3600
# Re-queues with no progress after them before the import is failed.
NUDGES = 2
STALLED_MESSAGE = (
    "The import stopped making progress: no part of it was written for {hours} hours, even "
    "after its unfinished parts were queued again {nudges} times, and it will not be tried "
    "again:{written} upload the file again to complete it (rows already imported are "
    "reported unchanged)."
)


def handle_schedule(ports: Ports | None = None) -> dict[str, str]:
    """Entry point for app.import_watchdog (an EventBridge schedule): watch every import being
    written by parts now. Returns what was done, by import id (also logged)."""
    if ports is None:
        from chalicelib.imports.wiring import default_ports

        ports = default_ports()
    return watch_imports(ports)


def watch_imports(ports: Ports, *, now: int | None = None) -> dict[str, str]:
    """Look at every import with a watch marker at ``now`` (epoch seconds; the clock by
    default): nudge or fail the stalled, forget the ended, leave the rest. What was done, by
    import id. One import's error is logged and the others are still watched (the next run
    tries it again)."""
    from chalicelib.store.import_parts import watched_imports

    now = int(time.time()) if now is None else now
    done: dict[str, str] = {}
    client, table = ports.dynamodb, ports.settings.table_name
    for tenant_id, import_id in list(watched_imports(client, table)):
        try:
            done[import_id] = watch_import(ports, tenant_id, import_id, now=now)
        except Exception:
            log.exception("watchdog: import %s/%s could not be watched", tenant_id, import_id)
            done[import_id] = "error"
            continue
        if done[import_id] not in ("progressing", "forgotten"):
            log.warning("watchdog: import %s/%s %s", tenant_id, import_id, done[import_id])
    return done


def watch_import(ports: Ports, tenant_id: str, import_id: str, *, now: int) -> str:
    """One watched import at ``now``: ``forgotten`` (it ended, or has no counter to watch: its
    marker goes), ``progressing``, ``left …`` (being stopped or taken over: not ours to touch),
    ``nudged (n)`` or ``failed``."""
    from chalicelib.imports.write.parts import requeue_stalled
    from chalicelib.store import import_parts
    from chalicelib.store import imports as records

    client, table = ports.dynamodb, ports.settings.table_name
    try:
        item = records.get_import(tenant_id, import_id)
    except NotFound:
        import_parts.forget_watch(client, table, tenant_id, import_id)
        return "forgotten"
    progress = import_parts.write_progress(client, table, item)
    if item.status != "running" or progress is None:
        # Ended (finished, failed, undone) or its counter gone with the finish: nothing to do.
        if item.status != "running":
            import_parts.forget_watch(client, table, tenant_id, import_id)
            return "forgotten"
        return "left finishing"
    owner = progress.counter_owner
    if progress.stopped or owner is None or progress.owner != owner:
        return "left to its owner"  # being failed, or planned again by another delivery
    if now - max(progress.progress_at, progress.nudged_at) < STALL_SECONDS:
        return "progressing"
    if progress.nudges >= NUDGES:
        return _fail(item, ports, owner=owner)
    if not import_parts.record_nudge(client, table, item, owner=owner, seen=progress, now=now):
        return "left: it moved meanwhile"
    sent = requeue_stalled(item, ports, progress, owner=owner)
    return f"nudged ({progress.nudges + 1} of {NUDGES}, {sent} messages)"


def _fail(item: Any, ports: Ports, *, owner: str) -> str:
    """Fail a stalled import as the dead-letter queue does: what happened, what was written
    (its parts' counted rows, settled on the record by records._fail_if), what to do."""
    from chalicelib.observability import count
    from chalicelib.store import import_parts
    from chalicelib.store import imports as records

    records.with_counted_progress([item])
    written = (
        f" {item.rows_done} of {item.rows_total} rows were handled before it stopped;"
        if item.checkpoint is not None
        else " nothing was written;"
    )
    message = STALLED_MESSAGE.format(
        hours=STALL_SECONDS * (NUDGES + 1) // 3600, nudges=NUDGES, written=written
    )
    if not records.fail_stalled(item, owner=owner, message=message):
        return "left: no longer running for its owner"
    count("ImportsFailed", 1)
    import_parts.forget_watch(ports.dynamodb, ports.settings.table_name, item.tenant_id, item.id)
    return "failed"
