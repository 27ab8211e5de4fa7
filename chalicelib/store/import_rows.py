"""An import's per-row ledger in the table: one item per row, paged in file order or by outcome.

Row ``n`` (0-based, in the order the planner decided the rows) of import ``i`` is the item
pk ``<tenant>#IMPORTROWS#<i>``, sk ``ROW#<n:07d>``; gsi1 ``<tenant>#IMPORTROWS#<i>#<outcome>``
pages one outcome in file order, and gsi2 ``…#warned`` (set only on warned rows: a sparse
index) the rows written without some values. The whole entry is one JSON attribute, so an
entry is written and corrected with one PutItem. Lookups the import created are items of the
same partition, sk ``LOOKUP#<kind>#<name key>``. Items expire with the table's TTL attribute
(``expires_at``) LEDGER_DAYS after the import: undo needs them until then.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
from pynamodb.attributes import JSONAttribute, TTLAttribute

from chalicelib.domain.values import name_key
from chalicelib.store.base import TableModel, bind, query_page

LEDGER_DAYS = 90
ROW_PREFIX, LOOKUP_PREFIX = "ROW#", "LOOKUP#"
OUTCOMES = ("created", "updated", "unchanged", "failed", "warned")


class ImportRowItem(TableModel):
    """One ledger entry (ledger_entry in imports/write/ledger.py shapes it) or created lookup."""

    entry = JSONAttribute()
    expires_at = TTLAttribute(null=True)


def ledger_pk(tenant_id: str, import_id: str) -> str:
    return f"{tenant_id}#IMPORTROWS#{import_id}"


def row_sk(seq: int) -> str:
    return f"{ROW_PREFIX}{seq:07d}"


def _expiry() -> int:
    return int(time.time()) + LEDGER_DAYS * 86_400


def row_put(tenant_id: str, import_id: str, seq: int, entry: dict[str, Any]) -> dict[str, Any]:
    """The BatchWriteItem put of row ``seq``'s entry (its outcome decides its index keys).

    A row's put is rebuilt from its entry alone (``corrected_put``), so a writer that learns
    at write time that a row failed writes the corrected entry under the same key.
    """
    pk, sk = ledger_pk(tenant_id, import_id), row_sk(seq)
    item: dict[str, Any] = {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "entity": {"S": "import_row"},
        "entry": {"S": _entry_json(_compact(entry))},
        "expires_at": {"N": str(_expiry())},
        "gsi1pk": {"S": f"{pk}#{entry['outcome']}"},
        "gsi1sk": {"S": sk},
    }
    if entry.get("warned") and entry["outcome"] != "failed":
        item["gsi2pk"], item["gsi2sk"] = {"S": f"{pk}#warned"}, {"S": sk}
    return {"PutRequest": {"Item": item}}


def _entry_json(entry: dict[str, Any]) -> str:
    """An entry as compact JSON, other values (a cell's date or time) as ``str`` gives them.

    orjson writes it in a fraction of json's time (a row's entry is built for every row of
    every import); json writes what orjson refuses (an integer past 64 bits). Text is UTF-8
    rather than ``\\u`` escapes: the same JSON, and fewer bytes of the item's size.
    """
    try:
        return orjson.dumps(entry, default=str, option=_PASSTHROUGH).decode()
    except orjson.JSONEncodeError:
        return json.dumps(entry, separators=(",", ":"), default=str)


# Dates, times and dataclasses go to ``default`` (str) as json sends them, not orjson's own way.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def is_row_put(request: dict[str, Any]) -> bool:
    """Whether a write request is a ledger row's put (the row's own writes are the others)."""
    item = request.get("PutRequest", {}).get("Item") or {}
    return item.get("entity", {}).get("S") == "import_row"


def entry_of_put(request: dict[str, Any]) -> dict[str, Any]:
    """The entry a row's put carries, as ledger_entry made it."""
    return _expanded(json.loads(request["PutRequest"]["Item"]["entry"]["S"]))


# The stored entry is compact (an item over 1 KB costs two write units, and a created row
# repeats every value): empty fields are left out, and changes are stored as
# ``{field: after}`` for a created record, ``{field: [before, after]}`` for an updated one.
_EMPTY_DEFAULTS = {"warned": False, "errors": [], "warnings": [], "also": [], "changes": {}}
_NULLABLE = ("record_id", "customer_id", "version")


def _compact(entry: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in entry.items() if v not in (None, False, [], {})}
    if "changes" in out:
        out["changes"] = _compact_changes(entry["outcome"], entry["changes"])
    if "also" in out:
        out["also"] = [
            {
                **{k: v for k, v in part.items() if v is not None and k != "changes"},
                "changes": _compact_changes(part["outcome"], part.get("changes") or {}),
            }
            for part in entry["also"]
        ]
    return out


def _compact_changes(outcome: str, changes: dict[str, Any]) -> dict[str, Any]:
    if outcome == "created":
        return {name: change["after"] for name, change in changes.items()}
    return {name: [change["before"], change["after"]] for name, change in changes.items()}


def _expanded(stored: dict[str, Any]) -> dict[str, Any]:
    entry = {**{k: None for k in _NULLABLE}, **_EMPTY_DEFAULTS, **stored}
    entry["changes"] = _expanded_changes(entry["outcome"], entry["changes"])
    entry["also"] = [
        {
            **{k: None for k in _NULLABLE},
            **part,
            "changes": _expanded_changes(part["outcome"], part.get("changes") or {}),
        }
        for part in entry["also"]
    ]
    return entry


def _expanded_changes(outcome: str, changes: dict[str, Any]) -> dict[str, Any]:
    if outcome == "created":
        return {name: {"before": None, "after": after} for name, after in changes.items()}
    return {name: {"before": pair[0], "after": pair[1]} for name, pair in changes.items()}


def corrected_put(request: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """``request`` (a row's put) carrying ``entry`` instead, index keys following its outcome."""
    item = request["PutRequest"]["Item"]
    tenant_id, _, import_id = item["pk"]["S"].partition("#IMPORTROWS#")
    seq = int(item["sk"]["S"].removeprefix(ROW_PREFIX))
    return row_put(tenant_id, import_id, seq, entry)


def list_rows(
    tenant_id: str, import_id: str, *, outcome: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of entries in file order, all or of one ``outcome`` (OUTCOMES); the cursor is
    checked to be a key of this very list (BadRequest otherwise)."""
    bind()
    pk = ledger_pk(tenant_id, import_id)
    if outcome is None:
        run, partition = (
            lambda **kw: ImportRowItem.query(pk, ImportRowItem.sk.startswith(ROW_PREFIX), **kw),
            ("pk", pk),
        )
    else:
        index = ImportRowItem.gsi2 if outcome == "warned" else ImportRowItem.gsi1
        attr = "gsi2pk" if outcome == "warned" else "gsi1pk"
        run, partition = (
            (lambda **kw: index.query(f"{pk}#{outcome}", **kw)),
            (attr, f"{pk}#{outcome}"),
        )
    items, nxt = query_page(run, limit=limit, cursor=cursor, partition=partition)
    return [_expanded(item.entry) for item in items], nxt


def iter_rows(tenant_id: str, import_id: str, outcome: str | None = None) -> Iterator[dict]:
    """Every entry of the import (or of one outcome), in file order, page by page."""
    bind()
    pk = ledger_pk(tenant_id, import_id)
    if outcome is None:
        found = ImportRowItem.query(pk, ImportRowItem.sk.startswith(ROW_PREFIX))
    else:
        found = ImportRowItem.gsi1.query(f"{pk}#{outcome}")
    for item in found:
        yield _expanded(item.entry)


def record_lookup(
    tenant_id: str, import_id: str, kind: str, name: str, lookup_id: str | None
) -> None:
    """Note that the import creates (``lookup_id`` None: is about to create) lookup ``name``.

    Written before the create and again with the id after it, so a plan retried after a crash
    between the two still knows the lookup it finds by name is its own.
    """
    bind()
    ImportRowItem(
        ledger_pk(tenant_id, import_id),
        f"{LOOKUP_PREFIX}{kind}#{name_key(name)}",
        entity="import_lookup",
        entry={"kind": kind, "name": name, "id": lookup_id},
        expires_at=timedelta(days=LEDGER_DAYS),
    ).save()


def lookup_noted(tenant_id: str, import_id: str, kind: str, name: str) -> bool:
    """Whether the import noted it creates lookup ``name`` of ``kind`` (record_lookup)."""
    bind()
    try:
        ImportRowItem.get(
            ledger_pk(tenant_id, import_id), f"{LOOKUP_PREFIX}{kind}#{name_key(name)}"
        )
    except ImportRowItem.DoesNotExist:
        return False
    return True


def forget_lookup(tenant_id: str, import_id: str, kind: str, name: str) -> None:
    """Drop the note of record_lookup: the lookup turned out to exist before the import."""
    bind()
    ImportRowItem(
        ledger_pk(tenant_id, import_id), f"{LOOKUP_PREFIX}{kind}#{name_key(name)}"
    ).delete()


def lookups_created(tenant_id: str, import_id: str) -> list[dict[str, Any]]:
    """``{kind, name, id}`` of every lookup the import created (few: one Query)."""
    bind()
    pk = ledger_pk(tenant_id, import_id)
    return [i.entry for i in ImportRowItem.query(pk, ImportRowItem.sk.startswith(LOOKUP_PREFIX))]
