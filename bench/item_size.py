"""An item's size as DynamoDB bills it, for the benches that count write units."""

from __future__ import annotations

import math


def item_size(item: dict) -> int:
    """Bytes of a DynamoDB JSON item: attribute names plus values.

    Numbers count about one byte per two significant digits plus one, maps and lists 3 bytes
    plus one per element (AWS, "Item sizes and formats"); nested values recursively.
    """
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict) -> int:
    ((kind, body),) = value.items()
    if kind == "S":
        return len(body.encode())
    if kind == "N":
        return 1 + math.ceil(len(body.lstrip("-").replace(".", "")) / 2)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in body.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in body)
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v).encode()) for v in body)
    return len(str(body))
