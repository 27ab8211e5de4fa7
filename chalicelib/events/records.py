"""Turns one DynamoDB stream record into the event a partner sees, or into nothing.

The images are read with the store's own models (``from_raw_data`` then ``to_record``),
so an event carries exactly the record GET returns, whatever path wrote it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chalicelib.store.contacts import ContactItem
from chalicelib.store.customers import CustomerItem
from chalicelib.store.equipment import EquipmentItem
from chalicelib.store.exports import FINISHED as EXPORT_FINISHED
from chalicelib.store.exports import ExportItem
from chalicelib.store.imports import FINISHED as IMPORT_FINISHED
from chalicelib.store.imports import ImportItem

# Only customers are archived (DELETE archives them); contacts and equipment are removed.
EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "customer.archived",
    "customer.deleted",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "equipment.created",
    "equipment.updated",
    "equipment.deleted",
    "import.finished",
    "import.undone",
    "export.finished",
)
# Fields that change on every write: a write that changes nothing else is no event.
BOOKKEEPING = frozenset({"version", "updated_at", "updated_by", "attempts"})
CREATION = BOOKKEEPING | {"id", "created_at", "created_by"}
SEQUENCE_DIGITS = 40  # DynamoDB stream sequence numbers are 21 to 40 digits


@dataclass(frozen=True)
class Kind:
    """How an item kind (its ``entity`` attribute) is read and which events it gives."""

    model: type
    api_shape: Callable[[Any], dict[str, Any]]
    finished: tuple[str, ...] = ()  # import/export: only reaching one of these is an event


KINDS: dict[str, Kind] = {
    "customer": Kind(CustomerItem, CustomerItem.to_record),
    "contact": Kind(ContactItem, ContactItem.to_record),
    "equipment": Kind(EquipmentItem, EquipmentItem.to_record),
    "import": Kind(ImportItem, ImportItem.to_dict, IMPORT_FINISHED),
    "export": Kind(ExportItem, ExportItem.to_dict, EXPORT_FINISHED),
}


@dataclass(frozen=True)
class ChangeEvent:
    """An event and where it goes: its feed key (sortable) and its record's ordering group."""

    event: dict[str, Any]
    feed_key: str
    record_key: str  # "<kind>:<id>": deliveries of one record keep their order

    @property
    def tenant_id(self) -> str:
        return self.event["tenant"]


def event_of(stream_record: dict[str, Any]) -> ChangeEvent | None:
    """The event of one stream record (Lambda's shape), or None for internal items and no-ops.

    Raises ValueError when an image of a known kind cannot be read.
    """
    change = stream_record.get("dynamodb") or {}
    new, old = change.get("NewImage"), change.get("OldImage")
    entity = _entity(new) or _entity(old)
    kind = KINDS.get(entity or "")
    if kind is None:
        return None
    after = _api_record(kind, new) if new else None
    before = _api_record(kind, old) if old else None
    action = _action(entity, kind, stream_record.get("eventName"), before, after)
    if action is None:
        return None
    changed, previous = _changes(before, after)
    if action == "updated" and not changed:
        return None
    data: dict[str, Any] = {"record": after or before, "changed_fields": changed}
    if action in ("updated", "archived"):
        data["previous"] = previous
    image = new or old
    occurred = _occurred_at(change.get("ApproximateCreationDateTime"))
    sequence = str(change.get("SequenceNumber") or "0").zfill(SEQUENCE_DIGITS)
    tenant = image["pk"]["S"].split("#", 1)[0]
    event = {
        "id": f"evt_{stream_record['eventID']}",
        "type": f"{entity}.{action}",
        "occurred_at": occurred,
        "tenant": tenant,
        "data": data,
    }
    return ChangeEvent(event, f"{occurred}#{sequence}", f"{entity}:{(after or before)['id']}")


def _entity(image: dict[str, Any] | None) -> str | None:
    return ((image or {}).get("entity") or {}).get("S")


def _api_record(kind: Kind, image: dict[str, Any]) -> dict[str, Any]:
    return _plain(kind.api_shape(kind.model.from_raw_data(image)))


def _action(
    entity: str, kind: Kind, name: str | None, before: dict | None, after: dict | None
) -> str | None:
    if kind.finished:
        # An undo reverts a finished import: its own event, not a second import.finished.
        if entity == "import" and (after or {}).get("status") == "undone":
            return "undone" if (before or {}).get("status") != "undone" else None
        reached = after is not None and after.get("status") in kind.finished
        was = before is not None and before.get("status") in kind.finished
        return "finished" if reached and not was else None
    if name == "INSERT":
        return "created"
    if name == "REMOVE":
        return "deleted"
    if name != "MODIFY" or before is None or after is None:
        return None
    if entity == "customer" and after.get("status") == "archived" != before.get("status"):
        return "archived"
    return "updated"


def _changes(before: dict | None, after: dict | None) -> tuple[list[str], dict[str, Any]]:
    """Fields whose value differs (bookkeeping aside), and their values before."""
    if after is None:
        return [], {}
    if before is None:
        return sorted(
            k for k, v in after.items() if v not in (None, {}, []) and k not in CREATION
        ), {}
    changed = sorted(
        k
        for k in after.keys() | before.keys()
        if k not in BOOKKEEPING and after.get(k) != before.get(k)
    )
    return changed, {k: before.get(k) for k in changed}


def _occurred_at(value: Any) -> str:
    """Lambda gives ApproximateCreationDateTime in epoch seconds; boto3's GetRecords a datetime."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
    elif value is not None:
        moment = datetime.fromtimestamp(float(value), UTC)
    else:
        moment = datetime.now(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    """JSON-ready: numbers read from DynamoDB maps come back as Decimal."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
