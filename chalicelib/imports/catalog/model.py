"""What the catalog is made of: an importable field, a required rule, the targets and types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

TARGETS = ("customers", "sites", "contacts", "equipment")
# What a bad cell costs, per import (and saved mapping): skip_value, the default, writes the row
# without that value and warns; fail_row fails the row (docs/imports.md, "The value policy").
ON_INVALID_VALUE = ("skip_value", "fail_row")
DEFAULT_ON_INVALID_VALUE = "skip_value"
# Match rules, per import (and saved mapping): the keys a customer row is matched to the register
# by, tried in order; what a match (or none) means; what a blank cell of a mapped column does
# (docs/imports-own-format.md, "Match rules").
MATCH_KEYS = ("import_id", "name", "email", "phone", "customer_number")
DEFAULT_MATCH_ON = ("import_id", "name")
MATCH_MODES = ("upsert", "create_only", "update_only")
BLANK_CELLS = ("keep", "clear")
FIELD_TYPES = (
    "text",
    "email",
    "phone",
    "date",
    "boolean",
    "number",
    "lookup",
    "user",
    "reference",
    "country",
    "postcode",
    "state",
    "choice",
)


@dataclass(frozen=True)
class ImportField:
    """One column a file may fill: ``key`` is the record path the importer writes."""

    key: str
    label: str
    type: str = "text"
    required: bool = False
    lookup_kind: str | None = None
    synonyms: tuple[str, ...] = ()
    description: str = ""
    options: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "description": self.description,
            "synonyms": list(self.synonyms),
        }
        if self.lookup_kind:
            data["lookup_kind"] = self.lookup_kind
        if self.options:
            data["options"] = list(self.options)
        return data


@dataclass(frozen=True)
class RequiredRule:
    """At least one of ``keys`` must be given; a single key is a plain required field."""

    keys: tuple[str, ...]
    message: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        return {"one_of": list(self.keys), "message": self.message}


class CustomFieldLike(Protocol):
    """What the catalog reads of a tenant's custom field definition."""

    key: str
    label: str
    type: str
    options: Any
    required: bool
