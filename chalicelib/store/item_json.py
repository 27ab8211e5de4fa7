"""Writes of the table as DynamoDB JSON: attribute values, conditions, and one item's Write.

The items the API's transactions and the importer's row transactions write (customers,
uniqueness claims, search entries, duplicate keys, contacts, equipment) are built here as
DynamoDB's own JSON ({"pk": {"S": ...}}) by one function per kind, not through PynamoDB
models: constructing a model and serialising it cost an import about 60 % of its planning
(docs/decisions/import-writes.md). The models stay for reads; tests/unit/store/
test_item_json.py checks that each kind's item is exactly what ``Model.serialize()`` gives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from chalicelib.domain.errors import DomainError

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


def encode(value: Any) -> AttributeValue:
    """One Python value as an AttributeValue, typed as PynamoDB types a raw map's values.

    str → S, bool → BOOL, int/float → N (JSON text), dict → M, list → L, a set of str → SS,
    of numbers → NS (an empty set is refused), bytes → B, None → NULL (inside maps and lists;
    ``put_attributes`` leaves None out at the top, as a model's nullable attributes are).
    Raises ValueError for any other type, as PynamoDB does.
    """
    if value is None:
        return {"NULL": True}
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int or kind is float:
        return {"N": json.dumps(value)}
    if kind is dict:
        return {"M": {name: encode(inner) for name, inner in value.items()}}
    if kind is list:
        return {"L": [encode(inner) for inner in value]}
    if kind is set or kind is frozenset:
        return _encode_set(value)
    if kind is bytes:
        return {"B": value}
    raise ValueError(f"Unsupported value type '{kind}'")


def _encode_set(value: Iterable[Any]) -> AttributeValue:
    kinds = {type(v) for v in value}
    if not kinds:
        raise ValueError("Cannot serialize empty set")
    if kinds == {str}:
        return {"SS": sorted(value)}
    if kinds <= {int, float}:
        return {"NS": sorted(json.dumps(v) for v in value)}
    raise ValueError(f"Cannot serialize set consisting of types: {sorted(map(repr, kinds))}")


def put_attributes(item: Item, values: Mapping[str, Any]) -> Item:
    """Add ``values`` to ``item`` (encoded), leaving out None as a nullable attribute is."""
    for name, value in values.items():
        if value is not None:
            item[name] = encode(value)
    return item


def strings(values: Mapping[str, str | None]) -> Item:
    """String attributes (the usual case, without ``encode``'s type dispatch), None left out."""
    return {name: {"S": value} for name, value in values.items() if value is not None}


class Condition(NamedTuple):
    """A ConditionExpression with its names and values, worded as PynamoDB words them."""

    expression: str
    names: dict[str, str]
    values: dict[str, AttributeValue]

    def fields(self) -> dict[str, Any]:
        """The condition's keys of a request (ConditionExpression, ExpressionAttribute…)."""
        out: dict[str, Any] = {
            "ConditionExpression": self.expression,
            "ExpressionAttributeNames": self.names,
        }
        if self.values:
            out["ExpressionAttributeValues"] = self.values
        return out


def absent() -> Condition:
    """The item does not exist yet."""
    return Condition("attribute_not_exists (#0)", {"#0": "pk"}, {})


def present() -> Condition:
    """The item exists."""
    return Condition("attribute_exists (#0)", {"#0": "pk"}, {})


def at_version(version: int) -> Condition:
    """The stored item is at ``version`` (optimistic locking: the ETag read)."""
    return Condition("#0 = :0", {"#0": "version"}, {":0": {"N": str(int(version))}})


def owned_by(owner_id: str) -> Condition:
    """A claim still held by ``owner_id``."""
    return Condition("#0 = :0", {"#0": "owner_id"}, {":0": {"S": owner_id}})


def free_or_owned_by(owner_id: str) -> Condition:
    """A claim nobody holds, or ``owner_id`` holds already (a retried write takes it again)."""
    return Condition(
        "(attribute_not_exists (#0) OR #1 = :0)",
        {"#0": "pk", "#1": "owner_id"},
        {":0": {"S": owner_id}},
    )


ACTIONS = ("put", "delete", "check")
# TransactWriteItems' name of each action.
_ENTRY = {"put": "Put", "delete": "Delete", "check": "ConditionCheck"}


@dataclass
class Write:
    """One write of a transaction: ``action`` on ``item``, if ``condition`` holds.

    ``item`` is the whole item for a put; for a delete or check, at least its key (pk, sk).
    ``on_fail`` makes the domain error raised when the condition does not hold (API only).
    """

    action: str  # "put" | "delete" | "check"
    item: Item
    condition: Condition | None = None
    on_fail: Callable[[], DomainError] | None = None

    @property
    def pk(self) -> str:
        return self.item["pk"]["S"]

    @property
    def sk(self) -> str:
        return self.item["sk"]["S"]

    def key(self) -> Item:
        return {"pk": self.item["pk"], "sk": self.item["sk"]}

    def entry(self) -> dict[str, Any]:
        """This write as one entry of TransactWriteItems, without TableName."""
        body: dict[str, Any] = {"Item": self.item} if self.action == "put" else {"Key": self.key()}
        if self.condition is not None:
            body |= self.condition.fields()
        return {_ENTRY[self.action]: body}


def keys(pk: str, sk: str, entity: str) -> Item:
    """The start of every item: its table keys and its entity."""
    return {"pk": {"S": pk}, "sk": {"S": sk}, "entity": {"S": entity}}
