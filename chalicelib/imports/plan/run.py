"""The plan use case: learn the file, decide every row, store the plan and publish the results."""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.domain.errors import NotFound
from chalicelib.domain.lookups import LOOKUP_KINDS
from chalicelib.imports.ports import ExistingIndex, Ports, PrepareContext
from chalicelib.imports.read.rows import RowSource
from chalicelib.store import imports as records
from chalicelib.store.base import now_iso


def plan_and_store(
    item: records.ImportItem, ports: Ports, source: RowSource, *, owner: str, folder: str
) -> bool:
    """Decide row by row into results and the stored plan; False when the import ended here
    (a dry run finishes now) or was taken over, True when its batches wait to be written."""
    with _old_objects_frozen():
        return _plan_and_store(item, ports, source, owner=owner, folder=folder)


@contextmanager
def _old_objects_frozen() -> Iterator[None]:
    """Keep the cyclic garbage collector to what planning makes: everything alive before
    (modules, botocore's service models) is set aside until planning ends. Planning makes
    millions of small objects, and each full collection would walk that whole heap again
    (in bench/import_bench.py, 0.26 of 4 CPU seconds for 2,500 rows; 0.02 frozen). Unfrozen
    after, so nothing from before stays uncollectable in a warm Lambda."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _plan_and_store(
    item: records.ImportItem, ports: Ports, source: RowSource, *, owner: str, folder: str
) -> bool:
    from chalicelib.imports.report.finish import publish_results, result_fields
    from chalicelib.imports.report.results import Results
    from chalicelib.store.tenant_settings import get_tenant_settings

    policy = on_invalid_value(item)
    planner, lookups, ctx = _learn(item, ports, source, get_tenant_settings(item.tenant_id), policy)
    records.save_progress(
        item,
        owner=owner,
        rows_total=planner.rows_total,
        on_invalid_value=policy,
        match_rules=planner.match_rules.to_dict(),
    )
    with Results(folder) as results:
        outcomes = _observed(planner.decide(source.rows, lookups, ctx), results)
        if item.dry_run:
            _write_ledger_only(item, ports, outcomes)
            keys = publish_results(item, ports, results, source.layouts, folder)
            fields = result_fields(results, keys)
            records.finish_import(
                item, owner=owner, status=results.status, rows_done=results.rows_total, **fields
            )
            return False
        numbers = _customer_numbers(item, ports, owner, planner.new_customers)
        count = _spool(item, ports, outcomes, numbers, owner=owner, folder=folder)
        keys = publish_results(item, ports, results, source.layouts, folder)
        stored = count is not None and records.save_progress(
            item,
            owner=owner,
            checkpoint=0,
            batches_total=count,
            rows_done=0,
            message=None,
            **result_fields(results, keys),
        )
    if stored and numbers.unused:
        ports.writer.release_customer_numbers(item.tenant_id, numbers.last, numbers.unused)
    return stored


def _spool(
    item: records.ImportItem,
    ports: Ports,
    outcomes: Iterable,
    numbers: Any,
    *,
    owner: str,
    folder: str,
) -> int | None:
    """Each row's writes into checkpoint groups stored in S3; the group count (None: the
    import was taken over). One plan written in order, or with IMPORT_WRITE_CONCURRENCY > 1
    parts by write level, recorded on the import (imports/write/parts.py)."""
    from chalicelib.imports.write.checkpoints import part_key, plan_key, spool_parts, spool_plan
    from chalicelib.store.import_parts import save_write_plan

    bucket, concurrency = ports.settings.bucket_name, ports.settings.import_write_concurrency
    if concurrency < 2:
        plan_path = os.path.join(folder, "plan.jsonl.gz")
        count = spool_plan(plan_path, outcomes, ports.writer, item, numbers, now_iso())
        ports.s3.upload_file(plan_path, bucket, plan_key(item))
        return count
    levels, files = spool_parts(
        folder, outcomes, ports.writer, item, numbers, now_iso(), concurrency
    )
    for first, path in files:
        ports.s3.upload_file(path, bucket, part_key(item, first))
        os.remove(path)
    table = ports.settings.table_name
    if not save_write_plan(ports.dynamodb, table, item, owner=owner, levels=levels):
        return None
    return sum(end - first for level in levels for first, end in level)


def on_invalid_value(item: records.ImportItem) -> str:
    """The value policy the import runs with: the one given with the import (POST /v1/imports
    or /start), else its mapping's (given, or saved and chosen), else ``skip_value``."""
    from chalicelib.imports.catalog.model import DEFAULT_ON_INVALID_VALUE

    if item.on_invalid_value:
        return item.on_invalid_value
    return _mapping_of(item).get("on_invalid_value") or DEFAULT_ON_INVALID_VALUE


def match_rules(item: records.ImportItem):
    """The match rules the import runs with (catalog/rules.MatchRules): each rule as given with
    the import (POST /v1/imports or /start), else its mapping's, else the default."""
    from chalicelib.imports.catalog.rules import resolve_match_rules

    return resolve_match_rules(item.match_rules, _mapping_of(item))


def _mapping_of(item: records.ImportItem) -> dict[str, Any]:
    """The mapping JSON the import runs with: given, or saved and chosen (deleted since: {})."""
    from chalicelib.store.mappings import get_mapping

    mapping = item.mapping
    saved_id = (item.mapping_used or {}).get("id") or item.mapping_id
    if not mapping and saved_id:
        try:
            mapping = get_mapping(item.tenant_id, saved_id).mapping
        except NotFound:  # deleted since it was chosen: the default
            mapping = None
    return mapping or {}


def _learn(item: records.ImportItem, ports: Ports, source: RowSource, tenant: Any, policy: str):
    """Pass 1 and what follows it: lookups created, children of named customers loaded."""
    from chalicelib.imports.plan.lookups import LookupIndex
    from chalicelib.imports.plan.planner import Planner
    from chalicelib.store.custom_fields import custom_field_definitions
    from chalicelib.store.lookups import all_lookups
    from chalicelib.store.users import all_users

    tenant_id = item.tenant_id
    lookups = LookupIndex.build(
        [x for kind in LOOKUP_KINDS for x in all_lookups(tenant_id, kind)], all_users(tenant_id)
    )
    planner = Planner(
        source.layouts,
        existing=ExistingIndex(customers=ports.writer.load_customers(tenant_id)),
        rules=ports.rules,
        make_id=lambda row: row_id(item.id, row.sheet, row.row),
        on_invalid_value=policy,
        match_rules=match_rules(item),
        country=tenant.default_country,
    )
    planner.learn(source.rows(), lookups)
    for kind, names in planner.missing_lookups().items():
        for name in names:
            lookups.add(kind, name, _new_lookup(item, kind, name))
    named = planner.named_existing_customers()
    if named:
        contacts, equipment = ports.writer.load_children(tenant_id, sorted(named))
        planner.existing.contacts, planner.existing.equipment = contacts, equipment
    ctx = PrepareContext(
        settings=tenant,
        refs=lookups.references(),
        custom_fields=tuple(custom_field_definitions(tenant_id)),
    )
    return planner, lookups, ctx


def _customer_numbers(item: records.ImportItem, ports: Ports, owner: str, needed: int):
    """The block of customer numbers this import hands out, kept on the record so a retried
    plan reuses it instead of reserving another (which would leave a gap)."""
    from chalicelib.imports.write.batches import CustomerNumbers

    writer, block = ports.writer, item.numbers
    if block is None:
        last = writer.reserve_customer_numbers(item.tenant_id, needed) if needed else 0
        block = {"last": last, "count": needed}
        records.save_progress(item, owner=owner, numbers=block)
    return CustomerNumbers(
        block["last"],
        block["count"],
        lambda count: writer.reserve_customer_numbers(item.tenant_id, count),
    )


def _new_lookup(item: records.ImportItem, kind_name: str, name: str) -> str:
    """Create a "+Add New" lookup (a dry run only pretends); an existing one is reused.

    The ledger notes the lookup before it is created, so undo removes it, and a plan retried
    after a crash between the two knows the lookup it finds by name is its own.
    """
    from chalicelib.domain.errors import Conflict
    from chalicelib.domain.lookups import lookup_kind
    from chalicelib.domain.values import name_key
    from chalicelib.imports.write.checkpoints import IMPORTER
    from chalicelib.store.import_rows import forget_lookup, lookup_noted, record_lookup
    from chalicelib.store.lookups import all_lookups, create_lookup

    tenant_id = item.tenant_id
    if item.dry_run:
        return f"new:{kind_name}:{name_key(name)}"
    ours = lookup_noted(tenant_id, item.id, kind_name, name)
    if not ours:
        record_lookup(tenant_id, item.id, kind_name, name, None)
    try:
        created = create_lookup(tenant_id, lookup_kind(kind_name), {"name": name}, IMPORTER).id
        record_lookup(tenant_id, item.id, kind_name, name, created)
        return created
    except Conflict:  # created meanwhile (another import, the API, an earlier attempt)
        for found in all_lookups(tenant_id, kind_name):
            if name_key(found.name) == name_key(name):
                if ours and found.created_by == IMPORTER:
                    record_lookup(tenant_id, item.id, kind_name, name, found.id)
                else:  # it was there before this import
                    forget_lookup(tenant_id, item.id, kind_name, name)
                return found.id
        raise


def _write_ledger_only(item: records.ImportItem, ports: Ports, outcomes: Iterable) -> None:
    """A dry run's ledger: what each row would do, written in batches (no record is)."""
    from chalicelib.imports.write.checkpoints import ledger_writer, write_ledger_puts

    entry = ledger_writer(item.tenant_id, item.id)
    puts = (entry(seq, outcome, outcome.record) for seq, outcome in enumerate(outcomes))
    write_ledger_puts(ports.dynamodb, ports.settings.table_name, puts)


def _observed(outcomes: Iterable, results: Any) -> Iterator:
    """Outcomes passed on after ``results`` has counted and spooled each one."""
    for outcome in outcomes:
        results.add(outcome)
        yield outcome


def row_id(import_id: str, sheet: str, row: int) -> str:
    """A row's new record id, the same on every attempt: retries rewrite, never duplicate."""
    return hashlib.sha256(f"{import_id}|{sheet}|{row}".encode()).hexdigest()[:32]
