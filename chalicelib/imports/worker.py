"""The import runner: the only code that knows S3, SQS, checkpoints and the Lambda's time limit."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chalicelib import aws
from chalicelib.domain.errors import NotFound
from chalicelib.imports.ports import CustomerRules, ExistingIndex, PrepareContext, RecordWriter
from chalicelib.messages import (
    ContinueImport,
    ExportRequested,
    FileDropped,
    UploadArrived,
    continue_body,
    messages_of,
    records_of,
)
from chalicelib.settings import Settings, get_settings
from chalicelib.store import imports as records
from chalicelib.store.base import now_iso

log = logging.getLogger("sitebook.imports")
IMPORTER = "importer"


@dataclass
class Runner:
    """Runs imports with injected collaborators; ``after_batch`` lets tests inject a crash."""

    settings: Settings
    rules: CustomerRules
    writer: RecordWriter
    s3: Any
    sqs: Any
    dynamodb: Any
    safety_margin_ms: int = 60_000
    after_batch: Callable[[int], None] = field(default=lambda index: None)

    @classmethod
    def default(cls) -> Runner:
        from chalicelib.imports.wiring import customer_rules, record_writer

        return cls(
            get_settings(),
            customer_rules(),
            record_writer(),
            aws.client("s3"),
            aws.client("sqs"),
            aws.client("dynamodb"),
        )

    # --- messages ----------------------------------------------------------------------------

    def handle_event(self, event: dict[str, Any], context: Any) -> None:
        """The SQS handler body: every message of the event, in order."""
        for message_id, body in records_of(event):
            for message in messages_of(body):
                self.handle(message, owner=message_id, context=context)

    def handle(self, message: Any, *, owner: str, context: Any) -> None:
        if isinstance(message, ContinueImport):
            self.run(message.tenant_id, message.import_id, owner=message.owner, context=context)
            return
        if isinstance(message, FileDropped):
            self._run_drop(message, owner=owner, context=context)
            return
        if isinstance(message, UploadArrived):
            self.run(message.tenant_id, message.import_id, owner=owner, context=context)
        if isinstance(message, ExportRequested):
            from chalicelib.exports.service import run_export

            run_export(message.tenant_id, message.export_id, owner=owner, s3=self.s3)

    def _run_drop(self, message: FileDropped, *, owner: str, context: Any) -> None:
        """A partner's file: the template, or their own format with the saved mapping named."""
        from chalicelib.store.mappings import mapping_named

        import_id = _drop_import_id(message.key, message.etag)
        own_format = message.mapping_name != "template"
        saved, problem = None, None
        if own_format:
            try:
                saved = mapping_named(message.tenant_id, message.mapping_name)
            except NotFound:
                problem = (
                    f"No saved mapping is named '{message.mapping_name}': save one under that "
                    "name, or drop the file into a folder named after an existing mapping."
                )
        item, _ = records.create_import(
            message.tenant_id,
            source="own_format" if own_format else "template",
            file_name=message.file_name,
            dry_run=False,
            by=None,
            import_id=import_id,
            s3_key=message.key,
            mapping_id=saved.id if saved else None,
            target=saved.target if saved else None,
        )
        if problem:
            records.finish_import(item, owner=None, status="failed", message=problem)
            return
        self.run(message.tenant_id, import_id, owner=owner, context=context)

    # --- one import --------------------------------------------------------------------------

    def run(self, tenant_id: str, import_id: str, *, owner: str, context: Any) -> None:
        try:
            item = records.get_import(tenant_id, import_id)
        except NotFound:
            log.warning("import %s/%s: no such import; message ignored", tenant_id, import_id)
            return
        if item.status in records.FINISHED:
            return  # a duplicate delivery of work already done
        if not records.claim_import(item, owner=owner, etag=None):
            log.info("import %s is running for another delivery; this one does nothing", import_id)
            return
        item.refresh(consistent_read=True)
        if item.checkpoint is None:
            if not self._plan(item, owner=owner):
                return
            item.refresh(consistent_read=True)
        self._write(item, owner=owner, context=context)

    def _plan(self, item: records.ImportItem, *, owner: str) -> bool:
        """Read, resolve, match, link, validate; store the batches. False when it ended."""
        from chalicelib.imports.read.rows import template_source
        from chalicelib.store.custom_fields import custom_field_definitions
        from chalicelib.store.tenant_settings import get_tenant_settings
        from chalicelib.xlsx.safety import FileLimits, FileRejected, open_workbook

        settings = self.settings
        try:
            head = self.s3.head_object(Bucket=settings.bucket_name, Key=item.s3_key)
        except self.s3.exceptions.ClientError:
            return self._fail(item, owner, "The uploaded file was not found.")
        size = head["ContentLength"]
        if size > settings.max_upload_bytes:
            return self._fail(
                item,
                owner,
                f"The file is {size / 2**20:.1f} MiB; the largest accepted is "
                f"{settings.max_upload_bytes / 2**20:.0f} MiB.",
            )
        records.save_progress(item, owner=owner, object_etag=head.get("ETag", "").strip('"'))
        limits = FileLimits(
            max_file_bytes=settings.max_upload_bytes,
            max_uncompressed_bytes=settings.max_uncompressed_bytes,
            max_rows=settings.max_import_rows,
        )
        with tempfile.TemporaryDirectory() as folder:
            extension = item.file_name.rsplit(".", 1)[-1].lower() if "." in item.file_name else ""
            path = os.path.join(folder, f"upload.{extension or 'xlsx'}")
            self.s3.download_file(settings.bucket_name, item.s3_key, path)
            tenant = get_tenant_settings(item.tenant_id)
            workbook = None
            try:
                with _reading():
                    if item.source == "own_format":
                        source = self._read_own_format(item, owner, path, tenant, limits)
                        if source is None:
                            return False  # waiting for the user's mapping
                    else:
                        workbook = open_workbook(path, limits)
                        source = template_source(
                            workbook,
                            tenant.customer_label,
                            max_rows=limits.max_rows,
                            custom_fields=custom_field_definitions(item.tenant_id),
                        )
                return self._plan_rows(item, owner, tenant, _guarded(source), folder)
            except FileRejected as exc:
                return self._fail(item, owner, f"{exc.message}.")
            except _Unreadable as exc:  # openpyxl's and csv's many ways to dislike a damaged file
                log.warning("import %s: unreadable file: %r", item.id, exc.__cause__)
                return self._fail(
                    item,
                    owner,
                    "The file could not be read; open it in Excel, save it as .xlsx or .csv "
                    "and upload it again.",
                )
            finally:
                if workbook is not None:
                    workbook.close()

    def _read_own_format(self, item, owner: str, path: str, tenant, limits):
        """Analyse the file; rows when a mapping is known, else None after parking the import."""
        from chalicelib.imports.mapping.suggest import suggest_mapping
        from chalicelib.imports.read.own_format import analysis, own_format_source, sheet_name
        from chalicelib.imports.read.tables import XLSX_EXTENSIONS, read_table
        from chalicelib.store.custom_fields import custom_field_definitions
        from chalicelib.xlsx.safety import FileRejected, check_xlsx

        if item.file_name.lower().rsplit(".", 1)[-1] in XLSX_EXTENSIONS:
            check_xlsx(path, limits)
        records.save_progress(item, owner=owner, status="analyzing")
        table = read_table(path, item.file_name, has_headers=item.has_headers)
        custom = tuple(custom_field_definitions(item.tenant_id))
        chosen, problem = self._chosen_mapping(item, table.headers, tenant.customer_label, custom)
        if chosen is None and problem and item.s3_key.startswith("drops/"):
            raise FileRejected(problem)  # nobody waits at a partner's drop folder to choose
        if chosen is None:
            suggestion = suggest_mapping(
                table.headers,
                table.sample(),
                item.target or "customers",
                custom_fields=custom,
                customer_label=tenant.customer_label,
            )
            missing = _suggested_missing(suggestion)
            records.await_mapping(
                item,
                owner=owner,
                analysis=analysis(table, suggestion, missing),
                message=f"{problem}; choose a mapping." if problem else None,
            )
            return None
        mapping, used = chosen
        records.save_progress(item, owner=owner, status="running", mapping_used=used)
        if item.save_mapping_as and used["matched_by"] == "given":
            self._save_mapping(item, mapping)
        return own_format_source(
            table,
            mapping,
            sheet_name(table, item.file_name),
            max_rows=limits.max_rows,
            country=tenant.default_country,
        )

    def _chosen_mapping(self, item, headers: list[str], label: str, custom: tuple):
        """``((mapping, mapping_used), None)``, or ``(None, why the mapping named cannot run)``.

        Tried in turn: the mapping given, the saved one by id, the newest saved for these headers.
        """
        from chalicelib.domain.errors import ValidationFailed
        from chalicelib.imports.mapping.columns import headers_signature, parse_mapping
        from chalicelib.store.mappings import get_mapping, mapping_for_headers

        target = item.target or "customers"
        candidates = []
        if item.mapping:
            used = item.mapping_used or {"id": None, "name": None, "matched_by": "given"}
            candidates.append((item.mapping, used))
        elif item.mapping_id:
            try:
                saved = get_mapping(item.tenant_id, item.mapping_id)
            except NotFound:
                return None, "The saved mapping chosen for this import was deleted"
            if saved is not None:
                by = "mapping_id"
                candidates.append(
                    (saved.mapping, {"id": saved.id, "name": saved.name, "matched_by": by})
                )
        else:
            saved = mapping_for_headers(item.tenant_id, headers_signature(headers))
            if saved is not None and saved.target == target:
                by = "headers"
                candidates.append(
                    (saved.mapping, {"id": saved.id, "name": saved.name, "matched_by": by})
                )
        problem = None
        for data, used in candidates:
            try:
                mapping = parse_mapping(
                    data, headers, target, custom_fields=custom, customer_label=label
                )
            except ValidationFailed as exc:
                faults = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
                problem = f"The mapping does not fit this file ({faults})"
                continue
            if mapping.is_complete():
                return (mapping, used), None
            problem = f"The mapping is incomplete ({'; '.join(mapping.missing_required())})"
        return None, problem if (item.mapping or item.mapping_id) else None

    def _save_mapping(self, item, mapping) -> None:
        from chalicelib.domain.errors import Conflict
        from chalicelib.imports.mapping.saved import save_mapping

        try:
            save_mapping(item.tenant_id, item.save_mapping_as, mapping, item.created_by)
        except Conflict:  # saved by an earlier attempt, or the name is taken: the import goes on
            log.info("import %s: mapping name %r is taken", item.id, item.save_mapping_as)

    def _plan_rows(self, item, owner: str, tenant, source, folder: str) -> bool:
        """Learn the file, decide row by row into results and the stored plan; False if ended."""
        from chalicelib.imports.report.results import Results

        planner, lookups, ctx = self._learn(item, tenant, source)
        records.save_progress(item, owner=owner, rows_total=planner.rows_total)
        with Results(folder) as results:
            outcomes = _observed(planner.decide(source.rows, lookups, ctx), results)
            if item.dry_run:
                for _ in outcomes:
                    pass
                result_keys = self._publish_results(item, results, source.layouts, folder)
                records.finish_import(
                    item,
                    owner=owner,
                    status=results.status,
                    rows_done=results.rows_total,
                    **_result_fields(results, result_keys),
                )
                return False
            numbers = self._customer_numbers(item, owner, planner.new_customers)
            plan_path = os.path.join(folder, "plan.jsonl.gz")
            count = self._spool_writes(item, outcomes, numbers, plan_path)
            result_keys = self._publish_results(item, results, source.layouts, folder)
            self.s3.upload_file(plan_path, self.settings.bucket_name, _plan_key(item))
            stored = records.save_progress(
                item,
                owner=owner,
                checkpoint=0,
                batches_total=count,
                rows_done=results.rows_without_writes,
                message=None,
                **_result_fields(results, result_keys),
            )
        if stored and numbers is not None and numbers.unused:
            self.writer.release_customer_numbers(item.tenant_id, numbers.last, numbers.unused)
        return stored

    def _learn(self, item, tenant, source):
        """Pass 1 and what follows it: lookups created, children of named customers loaded."""
        from chalicelib.imports.plan.lookups import LookupIndex
        from chalicelib.imports.plan.planner import Planner
        from chalicelib.store.custom_fields import custom_field_definitions
        from chalicelib.store.lookups import all_lookups
        from chalicelib.store.users import all_users

        tenant_id = item.tenant_id
        kinds = ("customer-types", "lead-sources", "contact-roles", "equipment-types")
        kinds += ("payment-terms", "price-levels")
        lookups = LookupIndex.build(
            [x for kind in kinds for x in all_lookups(tenant_id, kind)], all_users(tenant_id)
        )
        planner = Planner(
            source.layouts,
            existing=ExistingIndex(customers=self.writer.load_customers(tenant_id)),
            rules=self.rules,
            make_id=lambda row: _row_id(item.id, row.sheet, row.row),
        )
        planner.learn(source.rows(), lookups)
        for kind, names in planner.missing_lookups().items():
            for name in names:
                lookups.add(kind, name, self._new_lookup(tenant_id, kind, name, item.dry_run))
        named = planner.named_existing_customers()
        if named:
            contacts, equipment = self.writer.load_children(tenant_id, sorted(named))
            planner.existing.contacts, planner.existing.equipment = contacts, equipment
        ctx = PrepareContext(
            settings=tenant,
            refs=lookups.references(),
            custom_fields=tuple(custom_field_definitions(tenant_id)),
        )
        return planner, lookups, ctx

    def _customer_numbers(self, item, owner: str, needed: int):
        """The block of customer numbers this import hands out, kept on the record so a retried
        plan reuses it instead of reserving another (which would leave a gap)."""
        from chalicelib.imports.write.batches import CustomerNumbers

        block = item.numbers
        if block is None:
            last = self.writer.reserve_customer_numbers(item.tenant_id, needed) if needed else 0
            block = {"last": last, "count": needed}
            records.save_progress(item, owner=owner, numbers=block)
        return CustomerNumbers(
            block["last"],
            block["count"],
            lambda count: self.writer.reserve_customer_numbers(item.tenant_id, count),
        )

    def _spool_writes(self, item, outcomes, numbers, path: str) -> int:
        """The rows' writes packed into batches and checkpoint groups, one JSON line per group."""
        from chalicelib.imports.write.batches import batches, checkpoint_groups, row_writes

        writes = row_writes(
            outcomes, self.writer, item.tenant_id, now=now_iso(), by=IMPORTER, next_number=numbers
        )
        count = 0
        with gzip.open(path, "wt") as out:
            for group in checkpoint_groups(batches(writes)):
                out.write(json.dumps(group.to_json(), separators=(",", ":")) + "\n")
                count += 1
        return count

    def _new_lookup(self, tenant_id: str, kind_name: str, name: str, dry_run: bool) -> str:
        """Create a "+Add New" lookup (a dry run only pretends); an existing one is reused."""
        from chalicelib.domain.errors import Conflict
        from chalicelib.domain.lookups import lookup_kind
        from chalicelib.domain.values import name_key
        from chalicelib.store.lookups import all_lookups, create_lookup

        if dry_run:
            return f"new:{kind_name}:{name_key(name)}"
        try:
            return create_lookup(tenant_id, lookup_kind(kind_name), {"name": name}, IMPORTER).id
        except Conflict:  # created meanwhile (another import, the API, an earlier attempt)
            for item in all_lookups(tenant_id, kind_name):
                if name_key(item.name) == name_key(name):
                    return item.id
            raise

    def _publish_results(self, item, results, layouts, folder: str) -> dict[str, str]:
        prefix = records.results_prefix(item.tenant_id, item.id)
        bucket = self.settings.bucket_name
        keys = {"results": f"{prefix}results.json"}
        summary_path = os.path.join(folder, "results.json")
        results.write_summary(summary_path, import_id=item.id, dry_run=item.dry_run)
        self.s3.upload_file(
            summary_path, bucket, keys["results"], ExtraArgs={"ContentType": "application/json"}
        )
        errors_path = os.path.join(folder, "errors.xlsx")
        if results.write_errors_workbook(errors_path, layouts):
            keys["errors"] = f"{prefix}errors.xlsx"
            self.s3.upload_file(errors_path, bucket, keys["errors"])
        if item.s3_key.startswith("drops/"):
            # Partners find results beside their file (one level down, so no new import starts).
            folder_key, _, file_name = item.s3_key.rpartition("/")
            for name, key in keys.items():
                suffix = "results.json" if name == "results" else "errors.xlsx"
                self.s3.copy_object(
                    Bucket=bucket,
                    Key=f"{folder_key}/results/{file_name}.{suffix}",
                    CopySource={"Bucket": bucket, "Key": key},
                )
        return keys

    def _write(self, item: records.ImportItem, *, owner: str, context: Any) -> None:
        """Write batches from the checkpoint on; hand over to a follow-on before time runs out."""
        from chalicelib.store.batch_writes import write_group

        base_done = item.rows_total - sum(
            item.counts.get(t, {}).get(a, 0) for t in item.counts for a in ("created", "updated")
        )
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
            self.s3.download_file(self.settings.bucket_name, _plan_key(item), path)
            with gzip.open(path, "rt") as lines:
                for index, line in enumerate(lines):
                    if index < item.checkpoint:
                        continue
                    if _time_left_ms(context) < self.safety_margin_ms:
                        self.sqs.send_message(
                            QueueUrl=self.settings.import_queue_url,
                            MessageBody=continue_body(item.tenant_id, item.id, owner),
                        )
                        log.info("import %s continues in a follow-on at batch %d", item.id, index)
                        return
                    group = json.loads(line)
                    write_group(self.dynamodb, self.settings.table_name, group["batches"])
                    self.after_batch(index)
                    if not records.save_progress(
                        item,
                        owner=owner,
                        checkpoint=index + 1,
                        rows_done=base_done + group["rows_written"],
                    ):
                        log.warning("import %s was taken over; this delivery stops", item.id)
                        return
        errors = item.errors_total
        records.finish_import(
            item,
            owner=owner,
            status="completed_with_errors" if errors else "succeeded",
            rows_done=item.rows_total,
        )
        self.s3.delete_object(Bucket=self.settings.bucket_name, Key=_plan_key(item))

    def _fail(self, item: records.ImportItem, owner: str, message: str) -> bool:
        records.finish_import(item, owner=owner, status="failed", message=message)
        return False


class _Unreadable(Exception):
    """Reading the file failed in a way that is the file's fault, not a FileRejected check."""


@contextmanager
def _reading() -> Iterator[None]:
    """Inside, a damaged file's errors (not our checks' FileRejected) become _Unreadable."""
    from chalicelib.xlsx.safety import FileRejected

    try:
        yield
    except (FileRejected, _Unreadable):
        raise
    except Exception as exc:  # openpyxl's and csv's many ways to dislike a damaged file
        raise _Unreadable() from exc


def _guarded(source):
    """The same RowSource, its reads turning a damaged file's errors into _Unreadable."""
    from chalicelib.imports.read.rows import RowSource

    def read(targets):
        with _reading():
            yield from source.read(targets)

    return RowSource(source.layouts, read)


def _observed(outcomes, results):
    """Outcomes passed on after ``results`` has counted and spooled each one."""
    for outcome in outcomes:
        results.add(outcome)
        yield outcome


def _result_fields(results, result_keys: dict[str, str]) -> dict[str, Any]:
    return dict(
        rows_total=results.rows_total,
        counts=results.counts,
        errors=results.first_errors,
        errors_total=results.errors_total,
        result_keys=result_keys,
    )


def handle_import_event(event: dict[str, Any], context: Any) -> None:
    """Entry point for app.import_worker."""
    Runner.default().handle_event(event, context)


def _time_left_ms(context: Any) -> float:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter() if getter else float("inf")


def _row_id(import_id: str, sheet: str, row: int) -> str:
    """A row's new record id, the same on every attempt: retries rewrite, never duplicate."""
    return hashlib.sha256(f"{import_id}|{sheet}|{row}".encode()).hexdigest()[:32]


def _drop_import_id(key: str, etag: str | None) -> str:
    return hashlib.sha256(f"{key}|{etag}".encode()).hexdigest()[:32]


def _suggested_missing(suggestion) -> list[str]:
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.imports.mapping.columns import mapping_from_suggestion

    try:
        return mapping_from_suggestion(suggestion).missing_required()
    except ValidationFailed:
        return []


def _plan_key(item: records.ImportItem) -> str:
    return f"work/{item.tenant_id}/{item.id}/plan.jsonl.gz"
