"""The column → field mapping a user confirms: parsed from JSON, applied to rows, saved."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.imports.fields import CustomFieldLike, check_target, fields_for, required_rules
from chalicelib.imports.headers import column_index, column_letter, normalise_header
from chalicelib.imports.suggest import Suggestion

TRANSFORMS = ("none", "combine", "combine_lines", "split_name", "split_address")
ADDRESS_PREFIXES = ("site_address", "billing_address")


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
            return {self.fields[0]: cells[0]} if not _blank(cells[0]) else {}
        texts = [_text(c) for c in cells if not _blank(c)]
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

    @property
    def fields(self) -> set[str]:
        """Every field key some column fills (split_address fills all parts of its prefix)."""
        keys: set[str] = set()
        for column in self.columns:
            if column.transform == "split_address":
                keys |= {f"{column.prefix}.{p}" for p in ("line1", "suburb", "state", "postcode")}
            else:
                keys |= set(column.fields)
        return keys

    def apply(self, values: list[Any]) -> dict[str, Any]:
        """One row → ``{field_key: raw_value}``; blank cells are left out (they change nothing)."""
        row: dict[str, Any] = {}
        for column in self.columns:
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
        return {
            "target": self.target,
            "has_headers": self.has_headers,
            "columns": [c.to_dict() for c in self.columns],
        }


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
            [f"{column.prefix}.{p}" for p in ("line1", "line2", "suburb", "state", "postcode")]
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
        target, has_headers, tuple(headers), tuple(columns), customer_label, custom_fields
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
        if prefix not in ADDRESS_PREFIXES:
            errors.append(FieldError(f"{where}.prefix", f"must be one of {ADDRESS_PREFIXES}"))
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

    Order, case, spacing and punctuation don't matter; a column added or removed does.
    """
    normalised = sorted(normalise_header(h) for h in headers if normalise_header(h))
    return hashlib.sha256("\n".join(normalised).encode()).hexdigest()[:32]


# -- names and addresses --------------------------------------------------------------------

_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "dame", "fr"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "esq", "jnr", "snr", "oam", "am", "ao"}
_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "da",
    "di",
    "du",
    "del",
    "della",
    "la",
    "le",
    "st",
    "bin",
    "binti",
    "al",
    "el",
    "ter",
    "ten",
    "dos",
    "das",
    "mac",
}


def split_name(full: str) -> tuple[str, str]:
    """ "Dr John van der Berg" → ("John", "van der Berg"); "Smith, John" → ("John", "Smith")."""
    text = " ".join(str(full or "").split())
    if "," in text:
        last, _, first = text.partition(",")
        last_words = [w for w in last.split() if w.strip(".").lower() not in _HONORIFICS]
        first_words = [
            w for w in first.split() if w.strip(".").lower() not in _HONORIFICS | _SUFFIXES
        ]
        return " ".join(first_words), " ".join(last_words)
    words = [w for w in text.split() if w.strip(".").lower() not in _HONORIFICS]
    while len(words) > 1 and words[-1].strip(".").lower() in _SUFFIXES:
        words.pop()
    if len(words) <= 1:
        return (words[0] if words else ""), ""
    start = len(words) - 1
    # Particles belong to the family name: walk back over them ("van der Berg").
    while start > 1 and words[start - 1].lower() in _PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


_AU_STATES = {
    "NSW": "NSW",
    "NEW SOUTH WALES": "NSW",
    "VIC": "VIC",
    "VICTORIA": "VIC",
    "QLD": "QLD",
    "QUEENSLAND": "QLD",
    "SA": "SA",
    "SOUTH AUSTRALIA": "SA",
    "WA": "WA",
    "WESTERN AUSTRALIA": "WA",
    "TAS": "TAS",
    "TASMANIA": "TAS",
    "NT": "NT",
    "NORTHERN TERRITORY": "NT",
    "ACT": "ACT",
    "AUSTRALIAN CAPITAL TERRITORY": "ACT",
}
_COUNTRIES = {
    "australia": "AU",
    "new zealand": "NZ",
    "nz": "NZ",
    "usa": "US",
    "us": "US",
    "united states": "US",
    "united states of america": "US",
}
_STATE_NAMES = "|".join(sorted((re.escape(s) for s in _AU_STATES), key=len, reverse=True))
_AU_TAIL = re.compile(
    rf"^(?P<rest>.*?)[\s,]+(?P<state>{_STATE_NAMES})\.?[\s,]+(?P<pc>\d{{4}})$", re.I
)
_US_TAIL = re.compile(r"^(?P<rest>.*?)[\s,]+(?P<state>[A-Z]{2})[\s,]+(?P<pc>\d{5}(?:-\d{4})?)$")
_PC_TAIL = re.compile(r"^(?P<rest>.*?)[\s,]+(?P<pc>\d{4})$")
_STREET_TYPE = re.compile(
    r"^(.*\b(?:st|street|rd|road|ave|avenue|dr|drive|ct|court|pl|place|cres|crescent|hwy|highway|"
    r"pde|parade|tce|terrace|ln|lane|way|blvd|boulevard|cl|close|cct|circuit|gr|grove|esp|"
    r"esplanade|sq|square|bvd)\.?)\s+(.+)$",
    re.I,
)


def split_address(text: str) -> dict[str, str]:
    """ "12 Smith St, Richmond VIC 3121" → line1, suburb, state, postcode (AU first; NZ, US too).

    Parts not found are left out; text that fits no pattern comes back whole as ``line1``.
    """
    address = " ".join(str(text or "").replace("\n", ", ").split()).strip(" ,")
    result: dict[str, str] = {}
    lowered = address.lower()
    for name, code in sorted(_COUNTRIES.items(), key=lambda kv: -len(kv[0])):
        if lowered.endswith(name) and (
            len(lowered) == len(name) or lowered[-len(name) - 1] in " ,"
        ):
            result["country"] = code
            address = address[: -len(name)].strip(" ,")
            break
    match = _AU_TAIL.match(address)
    if match:
        result.update(state=_AU_STATES[match["state"].upper()], postcode=match["pc"])
    elif (match := _US_TAIL.match(address)) and result.get("country") in (None, "US"):
        result.update(state=match["state"], postcode=match["pc"])
    elif match := _PC_TAIL.match(address):
        result["postcode"] = match["pc"]
    rest = match["rest"].strip(" ,") if match else address
    segments = [s.strip() for s in rest.split(",") if s.strip()]
    if match and len(segments) >= 2:
        result["suburb"] = segments.pop()
    elif match and segments:
        street = _STREET_TYPE.match(segments[0])
        if street:
            segments = [street.group(1)]
            result["suburb"] = street.group(2)
        elif not re.search(r"\d", segments[0]):
            result["suburb"] = segments.pop()
    if segments:
        result["line1"] = segments[0]
    if len(segments) > 1:
        result["line2"] = ", ".join(segments[1:])
    order = ("line1", "line2", "suburb", "state", "postcode", "country")
    return {k: result[k] for k in order if result.get(k)}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
