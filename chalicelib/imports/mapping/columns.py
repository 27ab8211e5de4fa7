"""The column → field mapping a user confirms: parsed from JSON, applied to rows, saved."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.addresses import ADDRESS_PARTS, ADDRESS_SIDES
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.values import is_blank
from chalicelib.imports.catalog.fields import check_target, fields_for, required_rules
from chalicelib.imports.catalog.model import ON_INVALID_VALUE, CustomFieldLike
from chalicelib.imports.catalog.rules import check_match_rules
from chalicelib.imports.mapping.suggest import ADDED_BY_ERROR_WORKBOOK, Suggestion
from chalicelib.imports.mapping.transforms import split_address, split_name
from chalicelib.imports.read.headers import column_index, column_letter, normalise_header

TRANSFORMS = ("none", "combine", "combine_lines", "split_name", "split_address")
# A column mapped to one of these parts fills it in where the split address found none (a
# Country column beside a one-line address); a column for any other part clashes with the split.
FALLBACK_PARTS = ("country",)


@dataclass(frozen=True)
class ColumnMapping:
    """One entry: which columns (positions in the table's headers) feed which fields, and how."""

    sources: tuple[str, ...]
    positions: tuple[int, ...]
    fields: tuple[str, ...]
    transform: str = "none"
    separator: str = " "
    prefix: str | None = None

    def apply(self, values: list[Any]) -> dict[str, Any]:
        cells = [values[p] if p < len(values) else None for p in self.positions]
        if self.transform == "none":
            return {self.fields[0]: cells[0]} if not is_blank(cells[0]) else {}
        texts = [_text(c) for c in cells if not is_blank(c)]
        if self.transform == "combine":
            return {self.fields[0]: self.separator.join(texts)} if texts else {}
        if self.transform == "combine_lines":
            if len(self.fields) == 1 or len(texts) <= 1:
                return {self.fields[0]: ", ".join(texts)} if texts else {}
            return {self.fields[0]: texts[0], self.fields[1]: ", ".join(texts[1:])}
        if not texts:
            return {}
        if self.transform == "split_name":
            first, last = split_name(texts[0])
            return {k: v for k, v in zip(self.fields, (first, last), strict=True) if v}
        parts = split_address(texts[0])
        return {f"{self.prefix}.{part}": value for part, value in parts.items()}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if len(self.sources) == 1 and self.transform in ("none", "split_name", "split_address"):
            data["source"] = self.sources[0]
        else:
            data["sources"] = list(self.sources)
        if self.transform != "none":
            data["transform"] = self.transform
        if self.transform == "split_address":
            data["prefix"] = self.prefix
        elif len(self.fields) == 1 and self.transform != "split_name":
            data["field"] = self.fields[0]
        else:
            data["fields"] = list(self.fields)
        if self.transform == "combine":
            data["separator"] = self.separator
        return data


@dataclass(frozen=True)
class Mapping:
    """A validated mapping for one target and one set of headers."""

    target: str
    has_headers: bool
    headers: tuple[str, ...]
    columns: tuple[ColumnMapping, ...]
    customer_label: str = "Customer"
    custom_fields: tuple[Any, ...] = ()
    on_invalid_value: str | None = None  # None: the import's, else skip_value
    # match_on, mode, blank_cells as the mapping gives them (plan/matching.py); the import's own
    # win over these, and absent ones take the defaults.
    match_rules: dict[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> set[str]:
        """Every field key some column fills (split_address fills all parts of its prefix)."""
        keys: set[str] = set()
        for column in self.columns:
            if column.transform == "split_address":
                keys |= {f"{column.prefix}.{part}" for part in ADDRESS_PARTS}
            else:
                keys |= set(column.fields)
        return keys

    def apply(self, values: list[Any]) -> dict[str, Any]:
        """One row → ``{field_key: raw_value}``; blank cells are left out (they change nothing).

        Split addresses go last, so a part the address itself names (its country) wins over a
        column mapped to that part, which fills in only addresses that name none.
        """
        row: dict[str, Any] = {}
        for column in sorted(self.columns, key=lambda c: c.transform == "split_address"):
            row.update(column.apply(values))
        return row

    def missing_required(self) -> list[str]:
        """Messages for each required field (or "one of" group) no column fills."""
        mapped = self.fields
        return [
            rule.message
            for rule in required_rules(self.target, self.customer_label, self.custom_fields)
            if not mapped & set(rule.keys)
        ]

    def is_complete(self) -> bool:
        return not self.missing_required()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as saved for reuse and accepted by parse_mapping."""
        data: dict[str, Any] = {
            "target": self.target,
            "has_headers": self.has_headers,
            "columns": [c.to_dict() for c in self.columns],
        }
        if self.on_invalid_value:
            data["on_invalid_value"] = self.on_invalid_value
        return data | self.match_rules


def parse_mapping(
    data: Any,
    headers: list[str],
    target: str | None = None,
    *,
    custom_fields: Iterable[CustomFieldLike] = (),
    customer_label: str = "Customer",
) -> Mapping:
    """Validate a mapping dict against a file's ``headers``; ValidationFailed names each bad entry.

    A source is a header text (matched ignoring case and spacing). Without headers a source is a
    column letter as the spreadsheet shows it ("C") or the generated header ("Column C").
    """
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("mapping", "must be an object")])
    errors: list[FieldError] = []
    if data.get("target") and target and data["target"] != target:
        message = f"this mapping is for {data['target']}, not {target}"
        raise ValidationFailed([FieldError("target", message)])
    target = data.get("target") or target or "customers"
    try:
        check_target(target)
    except ValueError as error:
        raise ValidationFailed([FieldError("target", str(error))]) from None
    custom_fields = tuple(custom_fields)
    on_invalid_value = data.get("on_invalid_value")
    if on_invalid_value is not None and on_invalid_value not in ON_INVALID_VALUE:
        message = f"must be one of {', '.join(ON_INVALID_VALUE)}"
        errors.append(FieldError("on_invalid_value", message))
    try:
        match_rules = check_match_rules(data)
    except ValidationFailed as bad:
        errors += bad.errors
        match_rules = {}
    known = {f.key for f in fields_for(target, customer_label, custom_fields)}
    has_headers = bool(data.get("has_headers", True))
    entries = data.get("columns")
    if not isinstance(entries, list):
        raise ValidationFailed([FieldError("columns", "must be a list of column entries")])
    columns: list[ColumnMapping] = []
    owner: dict[str, str] = {}
    for i, entry in enumerate(entries):
        where = f"columns[{i}]"
        column = _parse_entry(entry, where, headers, has_headers, known, errors)
        if column is None:
            continue
        filled = (
            [f"{column.prefix}.{p}" for p in ADDRESS_PARTS if p not in FALLBACK_PARTS]
            if column.transform == "split_address"
            else list(column.fields)
        )
        clash = [f for f in filled if f in owner]
        for key in clash:
            errors.append(FieldError(where, f"{key} is already filled by {owner[key]}"))
        if clash:
            continue
        owner.update({f: f"{where} ({', '.join(column.sources)})" for f in filled})
        columns.append(column)
    if errors:
        raise ValidationFailed(errors)
    return Mapping(
        target,
        has_headers,
        tuple(headers),
        tuple(columns),
        customer_label,
        custom_fields,
        on_invalid_value,
        match_rules,
    )


def _parse_entry(
    entry: Any,
    where: str,
    headers: list[str],
    has_headers: bool,
    known: set[str],
    errors: list[FieldError],
) -> ColumnMapping | None:
    if not isinstance(entry, dict):
        errors.append(FieldError(where, "must be an object"))
        return None
    transform = entry.get("transform", "none")
    if transform not in TRANSFORMS:
        errors.append(FieldError(f"{where}.transform", f"unknown transform {transform!r}"))
        return None
    sources = entry.get("sources", [entry["source"]] if "source" in entry else [])
    if isinstance(sources, str) or not sources:
        errors.append(FieldError(where, "needs a source (or sources for combine)"))
        return None
    if transform in ("none", "split_name", "split_address") and len(sources) != 1:
        errors.append(FieldError(where, f"{transform} reads exactly one source"))
        return None
    positions = []
    for source in sources:
        position = _resolve_source(source, headers, has_headers)
        if position is None:
            errors.append(FieldError(f"{where}.source", f"unknown column {source!r}"))
        positions.append(position)
    if transform == "split_address":
        prefix = entry.get("prefix", "site_address")
        if prefix not in ADDRESS_SIDES:
            errors.append(FieldError(f"{where}.prefix", f"must be one of {ADDRESS_SIDES}"))
            return None
        if f"{prefix}.line1" not in known:
            errors.append(FieldError(f"{where}.prefix", f"{prefix} is not a field of this target"))
            return None
        fields: list[str] = []
    else:
        fields = entry.get("fields") or ([entry["field"]] if entry.get("field") else [])
        if not fields:
            if "field" in entry and entry["field"] is None:
                return None  # an explicitly ignored column
            errors.append(FieldError(where, "needs a field"))
            return None
        expected = {"split_name": 2, "combine_lines": (1, 2)}.get(transform, 1)
        if (isinstance(expected, int) and len(fields) != expected) or (
            isinstance(expected, tuple) and len(fields) not in expected
        ):
            errors.append(FieldError(f"{where}.fields", f"{transform} needs {expected} field(s)"))
            return None
        for key in fields:
            if key not in known:
                errors.append(FieldError(f"{where}.field", f"unknown field {key!r}"))
    if None in positions or any(f not in known for f in fields):
        return None
    return ColumnMapping(
        sources=tuple(str(s) for s in sources),
        positions=tuple(p for p in positions if p is not None),
        fields=tuple(fields),
        transform=transform,
        separator=str(entry.get("separator", " ")),
        prefix=entry.get("prefix", "site_address") if transform == "split_address" else None,
    )


def _resolve_source(source: Any, headers: list[str], has_headers: bool) -> int | None:
    text = str(source).strip()
    exact = [i for i, h in enumerate(headers) if h == text]
    if exact:
        return exact[0]
    wanted = " ".join(text.split()).casefold()
    loose = [i for i, h in enumerate(headers) if " ".join(h.split()).casefold() == wanted]
    if loose:
        return loose[0]
    if not has_headers:
        index = column_index(text)
        if index is not None:
            letter = f"Column {column_letter(index)}"
            return headers.index(letter) if letter in headers else None
    return None


def mapping_from_suggestion(suggestion: Suggestion) -> Mapping:
    """The suggested fields as a Mapping (each column straight to its field; unmapped left out)."""
    columns = [{"source": c.header, "field": c.field} for c in suggestion.columns if c.field]
    has_headers = not all(re.fullmatch(r"Column [A-Z]+", h) for h in suggestion.headers)
    return parse_mapping(
        {"target": suggestion.target, "has_headers": has_headers, "columns": columns},
        suggestion.headers,
        suggestion.target,
        custom_fields=suggestion.custom_fields,
        customer_label=suggestion.customer_label,
    )


def headers_signature(headers: Iterable[str]) -> str:
    """A stable hash of the normalised header set: files with the same columns share a mapping.

    Order, case, spacing and punctuation don't matter; a column added or removed does, except
    the Error and Warning columns of our error workbook (a fixed file matches as before).
    """
    added = {normalise_header(h) for h in ADDED_BY_ERROR_WORKBOOK}
    normalised = sorted(
        normalise_header(h) for h in headers if normalise_header(h) not in added | {""}
    )
    return hashlib.sha256("\n".join(normalised).encode()).hexdigest()[:32]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
