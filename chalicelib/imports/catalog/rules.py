"""Match rules of an import (``match_on``, ``mode``, ``blank_cells``): checked, and resolved from
the import's own and its mapping's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.imports.catalog.model import BLANK_CELLS, DEFAULT_MATCH_ON, MATCH_KEYS, MATCH_MODES

RULE_FIELDS = ("match_on", "mode", "blank_cells")


@dataclass(frozen=True)
class MatchRules:
    """How an import matches customer rows: keys tried in order, the mode, blank cells."""

    match_on: tuple[str, ...] = DEFAULT_MATCH_ON
    mode: str = "upsert"
    blank_cells: str = "keep"

    def to_dict(self) -> dict[str, Any]:
        return {"match_on": list(self.match_on), "mode": self.mode, "blank_cells": self.blank_cells}


def check_match_rules(data: Mapping[str, Any]) -> dict[str, Any]:
    """The rules among ``data``'s keys (``match_on``, ``mode``, ``blank_cells``; absent or None
    ones left out), checked. Raises ValidationFailed naming each bad field: an unknown key,
    a key twice, an empty list, an unknown mode or blank_cells."""
    errors: list[FieldError] = []
    given = {k: data[k] for k in RULE_FIELDS if data.get(k) is not None}
    if "match_on" in given:
        keys = given["match_on"]
        if isinstance(keys, str) or not isinstance(keys, list | tuple) or not keys:
            message = f"must be a list of keys from {_one_of(MATCH_KEYS)}"
            errors.append(FieldError("match_on", message))
        else:
            for i, key in enumerate(keys):
                if key not in MATCH_KEYS:
                    errors.append(
                        FieldError(f"match_on[{i}]", f"{key!r} is not a key: {_one_of(MATCH_KEYS)}")
                    )
                elif key in keys[:i]:
                    errors.append(FieldError(f"match_on[{i}]", f"lists {key} twice"))
            given["match_on"] = list(keys)
    for name, allowed in (("mode", MATCH_MODES), ("blank_cells", BLANK_CELLS)):
        if name in given and given[name] not in allowed:
            errors.append(FieldError(name, f"must be one of {_one_of(allowed)}"))
    if errors:
        raise ValidationFailed(errors)
    return given


def _one_of(values: Iterable[str]) -> str:
    return ", ".join(values)


def resolve_match_rules(*layers: Mapping[str, Any] | None) -> MatchRules:
    """The rules an import runs with: per rule, the first layer giving it (the import's own,
    then its mapping's), else the default. Layers were checked by ``check_match_rules``."""
    chosen: dict[str, Any] = {}
    for layer in layers:
        for name in RULE_FIELDS:
            if name not in chosen and (layer or {}).get(name) is not None:
                chosen[name] = layer[name]
    if "match_on" in chosen:
        chosen["match_on"] = tuple(chosen["match_on"])
    return MatchRules(**chosen)
