"""The write use case spread over workers: a planned import's groups written as parts, one
queue message each, level by level, the last group's worker finishing the import.

The plan's groups are ordered by write level (batches.GroupLevels: a group that shares an item
with an earlier group, or needs a customer one creates, is a level past it), and each level is
split into up to IMPORT_WRITE_CONCURRENCY parts (checkpoints.spool_parts). Level 0's parts are
queued by the worker that planned; the worker whose part completes a level queues the next;
the one whose group completes the import finishes it. Every step is a conditional update of the
import's counter item (store/import_parts.py), so a retried or duplicated message repeats nothing:
a part resumes at its own next group, a group is counted once, a level is queued by one part
(which sends it again if it crashed before sending), and one part finishes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalicelib.imports.ports import Ports
from chalicelib.messages import WriteGroups, continue_body, write_body
from chalicelib.store import import_parts
from chalicelib.store import imports as records

log = logging.getLogger("sitebook.imports")

PLANNER = "plan"  # who queues level 0: the delivery that planned the import


def write_part(
    item: records.ImportItem,
    part: WriteGroups,
    ports: Ports,
    *,
    has_time: Callable[[], bool],
    delivery: str,
) -> None:
    """Write ``part``'s groups from its next one; then queue the next level or finish the
    import if this part completed one. Short of time, the part continues in a follow-on (its
    own message again). ``delivery``: the SQS id of the message run (the same on its retries,
    another for a copy of the part sent again)."""
    from chalicelib.imports.write.checkpoints import part_key
    from chalicelib.imports.write.resume import Written, write_groups

    client, table = ports.dynamodb, ports.settings.table_name
    progress = import_parts.write_progress(client, table, item)
    if progress is None or part.first not in progress.next_group:
        log.warning("import %s has no part at group %d; message ignored", item.id, part.first)
        return
    start = progress.next_group[part.first]
    item.rows_lost = progress.rows_lost  # counted on the counter: earlier parts' lost rows
    if part.first < start < part.end:  # a retried part: the interrupted group is written again
        log.info(
            "import %s resumes at batch %d of part %d-%d", item.id, start, part.first, part.end
        )
    if start < part.end:

        def count(index: int, group: Any, results: list) -> bool:
            if import_parts.count_group(
                client,
                table,
                item,
                owner=part.owner,
                part=part.first,
                index=index,
                rows=len(group.rows),
                lost=sum(result.lost for result in results),
            ):
                return True
            # Refused: counted already by this count's own first attempt (its reply lost), or
            # the import is no longer this owner's. Only the first goes on.
            return import_parts.counted_last(
                client, table, item, owner=part.owner, part=part.first, index=index
            )

        written = write_groups(
            item,
            ports,
            part_key(item, part.first),
            start=start,
            base=part.first,
            save=count,
            has_time=has_time,
        )
        if written is Written.PAUSED:
            _send(ports, [part])
            return
        if written is Written.TAKEN_OVER:
            return
    advance(item, ports, owner=part.owner, by=str(part.first), delivery=delivery)


def advance(item: records.ImportItem, ports: Ports, *, owner: str, by: str, delivery: str) -> None:
    """What follows a written part (``by``: its first group, or PLANNER after planning; run by
    message ``delivery``): finish the import when every group is written, else queue the next
    level once every queued one is written."""
    client, table = ports.dynamodb, ports.settings.table_name
    progress = import_parts.write_progress(client, table, item)
    if progress is None or progress.status != "running" or progress.owner != owner:
        return
    if progress.groups_done >= progress.groups_total:
        if import_parts.claim_finish(client, table, item, owner=owner, by=by, delivery=delivery):
            finish_parts(item, ports, owner=owner)
        return
    level = progress.levels_queued
    if level < len(progress.levels) and progress.groups_done >= progress.level_start(level):
        parts = progress.levels[level]
        if import_parts.claim_level(
            client, table, item, owner=owner, level=level, parts=parts, by=by
        ):
            _send(ports, _parts_of(item, owner, parts))
            log.info("import %s: level %d queued as %d parts", item.id, level, len(parts))
    elif level > 0 and progress.level_queuer == by:
        # This part queued the level and is here again: it may have died before sending it
        # (a part already written only counts nothing again).
        _send(ports, _parts_of(item, owner, progress.levels[level - 1]))


def finish_parts(item: records.ImportItem, ports: Ports, *, owner: str) -> None:
    """Every group is written: the lost rows spooled by every part settle the counts (a part
    only counted them), then the import finishes as one written in order does, and its counter
    goes (the record holds the counts now)."""
    from chalicelib.imports.report.finish import finish
    from chalicelib.imports.write.checkpoints import delete_prefix, load_lost_rows, parts_prefix
    from chalicelib.imports.write.rows import settled_counts

    client, table = ports.dynamodb, ports.settings.table_name
    progress = import_parts.write_progress(client, table, item)
    item.refresh(consistent_read=True)
    if item.status == "running":  # else closed already (this finisher's retry): clean up only
        item.rows_lost = progress.rows_lost if progress else item.rows_lost
        if item.rows_lost:
            lost = load_lost_rows(ports.s3, ports.settings.bucket_name, item)
            for name, value in settled_counts(item, lost).items():
                setattr(item, name, value)
        finish(item, ports, owner=owner)
    delete_prefix(ports.s3, ports.settings.bucket_name, parts_prefix(item))
    import_parts.delete_counter(client, table, item)


def stalled_parts(progress: import_parts.WriteProgress) -> list[list[int]] | None:
    """The parts whose messages set a stalled import going again, as ``[first, end]`` group
    ranges; None when the planner's path must (no level queued yet: a ``continue`` message
    for the owner claims level 0, or plans again if the plan's checkpoint was never saved).

    Every unfinished part of the queued levels, each resuming at its own next group. When
    none is unfinished, the last queued part: finding its range written, it queues the next
    level or claims the finish. (A finish claimed already is its message's to end: a copy is
    refused, and the import fails when the nudges run out.)"""
    if progress.levels_queued == 0 or progress.finisher == PLANNER:
        return None
    queued = [part for level in progress.levels[: progress.levels_queued] for part in level]
    unfinished = [[f, e] for f, e in queued if progress.next_group.get(f, f) < e]
    return unfinished or [list(queued[-1])]


def requeue_stalled(
    item: records.ImportItem, ports: Ports, progress: import_parts.WriteProgress, *, owner: str
) -> int:
    """Send the messages of ``stalled_parts`` (as ``owner``, the planner's delivery); how many.

    A duplicate of a part still alive repeats nothing: it resumes at the counter's next group
    for its part, its counts are conditional on that group, and a count refused goes on only
    when the group is the part's last counted (``counted_last``)."""
    ranges = stalled_parts(progress)
    if ranges is None:
        ports.sqs.send_message(
            QueueUrl=ports.settings.import_queue_url,
            MessageBody=continue_body(item.tenant_id, item.id, owner),
        )
        return 1
    _send(ports, _parts_of(item, owner, ranges))
    return len(ranges)


def _parts_of(item: records.ImportItem, owner: str, ranges: list[list[int]]) -> list[WriteGroups]:
    return [WriteGroups(item.tenant_id, item.id, owner, first, end) for first, end in ranges]


def _send(ports: Ports, parts: list[WriteGroups]) -> None:
    """Queue each part's message (SendMessageBatch, ten at a time)."""
    for start in range(0, len(parts), 10):
        entries = [
            {"Id": str(n), "MessageBody": write_body(part)}
            for n, part in enumerate(parts[start : start + 10])
        ]
        reply = ports.sqs.send_message_batch(
            QueueUrl=ports.settings.import_queue_url, Entries=entries
        )
        if reply.get("Failed"):  # raised: SQS delivers this message again, which sends again
            raise ConnectionError(f"SQS refused {len(reply['Failed'])} part messages")
