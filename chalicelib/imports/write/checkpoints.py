"""The stored plan: an import's row transactions as checkpoint groups, one JSON line each,
gzipped in S3.

The import record's ``checkpoint`` counts the groups written; a retry or follow-on skips them.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from chalicelib.imports.write.batches import CustomerNumbers, checkpoint_groups, row_writes

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
    """Each row's transaction and ledger entry (store/import_rows.py) in checkpoint groups at
    ``path``; the group count. Every row is in a group (its entry is), so a row counts as
    written once its group is."""
    count = 0
    with _spool_file(path) as out:
        for group in checkpoint_groups(_plan_writes(outcomes, writer, item, numbers), now=now):
            out.write(_line(group))
            count += 1
    return count


def _plan_writes(outcomes: Iterable, writer: Any, item: Any, numbers: CustomerNumbers):
    """Each planned row's records and ledger put, in order (write.batches.row_writes)."""
    return row_writes(
        outcomes,
        writer,
        item.tenant_id,
        next_number=numbers,
        ledger=True,
    )


def _spool_file(path: str):
    """A plan file (gzipped JSON lines, bytes) opened for writing.

    Level 3 compresses a plan in a quarter of level 6's time (zlib's default), to 6.4 % of its
    size rather than 5.0 % (a 500-row plan of bench/import_bench.py's file, 2 MB of JSON):
    the file is written once, read back by the write stage and deleted with the import."""
    return gzip.open(path, "wb", compresslevel=3)


def _line(group: Any) -> bytes:
    """One group as a JSON line. orjson writes the same compact JSON as
    ``json.dumps(separators=(",", ":"))`` in a sixth of the time (docs/libraries.md); json
    writes what orjson refuses (an integer past 64 bits in a record).

    Raises TypeError for a value JSON would not give back as it was (a set, bytes): a record
    is built into items when its group is written, from what this line reads back as.
    """
    data = group.to_json()
    try:
        return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError as exc:
        if "64-bit" not in str(exc):  # orjson's words for an integer past 64 bits
            raise TypeError(f"a planned record holds a value JSON cannot keep: {exc}") from exc
        return (json.dumps(data, separators=(",", ":")) + "\n").encode()


def parts_prefix(item: Any) -> str:
    """Where the parts of a plan spread over workers wait in S3, one object per part."""
    return f"work/{item.tenant_id}/{item.id}/parts/"


def part_key(item: Any, first: int) -> str:
    """The stored part whose first group is ``first``."""
    return f"{parts_prefix(item)}{first:07d}.jsonl.gz"


def spool_parts(
    folder: str,
    outcomes: Iterable,
    writer: Any,
    item: Any,
    numbers: CustomerNumbers,
    now: str,
    concurrency: int,
) -> tuple[list[list[list[int]]], list[tuple[int, str]]]:
    """The plan as parts for ``concurrency`` workers: its groups ordered by write level
    (batches.GroupLevels), each level split into up to ``concurrency`` ranges of groups.

    Returns ``(levels, files)``: per level its parts as ``[first, end]`` (group indexes in the
    new order), and ``(first, path)`` of each part's file in ``folder`` (JSON lines as
    spool_plan's). Each level is spooled to a file of its own first, so rows are held only
    one group at a time.
    """
    from chalicelib.imports.write.batches import GroupLevels, split_level

    writes = _plan_writes(outcomes, writer, item, numbers)
    levels = GroupLevels()
    spooled: list[Any] = []
    counts: list[int] = []
    try:
        for group in checkpoint_groups(writes, now=now):
            level = levels.level(group)
            while len(spooled) <= level:
                path = os.path.join(folder, f"level-{len(spooled)}.jsonl.gz")
                spooled.append(_spool_file(path))  # noqa: SIM115 (closed below, all at once)
                counts.append(0)
            spooled[level].write(_line(group))
            counts[level] += 1
    finally:
        for out in spooled:
            out.close()
    ranges: list[list[list[int]]] = []
    files: list[tuple[int, str]] = []
    first = 0
    for level, count in enumerate(counts):
        ranges.append(split_level(first, count, concurrency))
        with gzip.open(os.path.join(folder, f"level-{level}.jsonl.gz"), "rb") as lines:
            for start, end in ranges[-1]:
                path = os.path.join(folder, f"part-{start:07d}.jsonl.gz")
                with _spool_file(path) as out:
                    for _ in range(end - start):
                        out.write(next(lines))
                files.append((start, path))
        os.remove(os.path.join(folder, f"level-{level}.jsonl.gz"))
        first += count
    return ranges, files


def ledger_puts_of(tenant_id: str, import_id: str) -> Callable[[int, dict], dict]:
    """``(seq, a row's ledger entry) → the put of that entry`` (CheckpointGroup.build)."""
    from chalicelib.store.import_rows import row_put

    return lambda seq, entry: row_put(tenant_id, import_id, seq, entry)


def ledger_writer(tenant_id: str, import_id: str) -> Callable[[int, Any, Any], dict]:
    """``(seq, outcome, record as written) → the put of that row's ledger entry``, whole at
    once (a dry run's; a planned row's is completed when its group is written)."""
    from chalicelib.imports.write.ledger import ledger_entry

    put = ledger_puts_of(tenant_id, import_id)
    return lambda seq, outcome, record: put(seq, ledger_entry(outcome, record))


def write_ledger_puts(client: Any, table_name: str, puts: Iterable[dict]) -> int:
    """Write ledger entries' puts with BatchWriteItem, 25 at a time; how many were written.

    A put is keyed by the import and the row, so writing one again (a retried group) only
    replaces it.
    """
    from chalicelib.store.batch_writes import MAX_BATCH, batch_write

    chunk: list[dict] = []
    written = 0
    for put in puts:
        chunk.append(put)
        if len(chunk) == MAX_BATCH:
            batch_write(client, table_name, chunk)
            written, chunk = written + len(chunk), []
    if chunk:
        batch_write(client, table_name, chunk)
        written += len(chunk)
    return written


def groups_from(path: str, checkpoint: int) -> Iterator[tuple[int, dict]]:
    """``(index, group)`` of a stored plan from the checkpoint on."""
    with gzip.open(path, "rb") as lines:
        for index, line in enumerate(lines):
            if index >= checkpoint:
                yield index, orjson.loads(line)


def races_prefix(item: Any) -> str:
    """Where the rows an import lost to races wait in S3, a JSON file per checkpoint group."""
    return f"work/{item.tenant_id}/{item.id}/races/"


def save_races(s3: Any, bucket: str, item: Any, index: int, results: Iterable) -> None:
    """The lost rows of group ``index``: their errors, the customers they left out, and what
    the counts settle of them at the finish of spread writes (rows.settled_fields).

    One object per group, written before its checkpoint: a retried group writes it again.
    """
    from chalicelib.imports.write.rows import lost_customer

    lost = [
        {
            "error": r.error.to_dict(),
            "customer": lost_customer(r),
            "where": r.where,
            "target": r.row.target,
            "action": r.row.action,
            "warned": r.row.warned,
        }
        for r in results
        if r.lost
    ]
    if lost:
        body = json.dumps(lost, separators=(",", ":")).encode()
        s3.put_object(Bucket=bucket, Key=f"{races_prefix(item)}{index:06d}.json", Body=body)


def load_races(s3: Any, bucket: str, item: Any) -> tuple[dict[str, str], list[dict]]:
    """``({lost customer id: where its row is}, [every lost row's error])`` so far."""
    customers: dict[str, str] = {}
    errors: list[dict] = []
    for key in _race_keys(s3, bucket, item):
        for lost in json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()):
            errors.append(lost["error"])
            if lost["customer"]:
                customers[lost["customer"]] = lost["where"]
    return customers, errors


def load_lost_rows(s3: Any, bucket: str, item: Any) -> list[tuple[str, str, bool, dict]]:
    """Every lost row so far as ``(target, action as planned, warned, error)``."""
    return [
        (lost["target"], lost["action"], lost["warned"], lost["error"])
        for key in _race_keys(s3, bucket, item)
        for lost in json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    ]


def delete_races(s3: Any, bucket: str, item: Any) -> None:
    """Drop the spooled races once the results hold them."""
    keys = _race_keys(s3, bucket, item)
    for start in range(0, len(keys), 1000):
        objects = [{"Key": key} for key in keys[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})


def delete_prefix(s3: Any, bucket: str, prefix: str) -> None:
    """Drop every object under ``prefix`` (a plan's parts once the import is finished)."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    for start in range(0, len(keys), 1000):
        objects = [{"Key": key} for key in keys[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})


def _race_keys(s3: Any, bucket: str, item: Any) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=races_prefix(item))
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))
