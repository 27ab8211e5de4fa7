"""Admin-defined custom fields: the rules of their definitions and of the values customers hold."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from .errors import FieldError, ValidationFailed
from .values import (
    InvalidValue,
    clean_text,
    is_blank,
    name_key,
    parse_bool,
    parse_date,
    parse_number,
)

FIELD_TYPES = ("text", "number", "date", "boolean", "choice")
KEY_MAX_LENGTH = 40
LABEL_MAX_LENGTH = 100
OPTION_MAX_LENGTH = 100
MAX_OPTIONS = 200
TEXT_VALUE_MAX_LENGTH = 1000
_KEY = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@dataclass(frozen=True)
class CustomFieldDefinition:
    """One custom field an admin defined: its key in ``custom_fields``, label, type and rules."""

    key: str
    label: str
    type: str
    options: tuple[str, ...] = ()
    required: bool = False
    active: bool = True


def validate_definition(definition: CustomFieldDefinition) -> CustomFieldDefinition:
    """The definition with label and options trimmed, or ValidationFailed naming each fault.

    The key is a lower_snake identifier (``warranty_provider``) of at most 40
    characters; the label is required; a choice field needs at least one option and
    its options must differ ignoring case; other types take no options.
    """
    errors: list[FieldError] = []
    key = definition.key
    if not isinstance(key, str) or not _KEY.match(key) or len(key) > KEY_MAX_LENGTH:
        errors.append(
            FieldError(
                "key",
                f"must be lower_snake_case letters and digits, starting with a letter, "
                f"at most {KEY_MAX_LENGTH} characters",
            )
        )
    label = None
    try:
        label = clean_text(definition.label, max_length=LABEL_MAX_LENGTH)
        if label is None:
            errors.append(FieldError("label", "is required"))
    except InvalidValue as error:
        errors.append(FieldError("label", str(error)))
    if definition.type not in FIELD_TYPES:
        errors.append(FieldError("type", "must be one of " + ", ".join(FIELD_TYPES)))
    for name in ("required", "active"):
        if not isinstance(getattr(definition, name), bool):
            errors.append(FieldError(name, "must be true or false"))

    options, option_errors = _clean_options(definition.options)
    errors += option_errors
    if definition.type == "choice" and not options and not option_errors:
        errors.append(FieldError("options", "a choice field needs at least one option"))
    if definition.type in FIELD_TYPES and definition.type != "choice" and options:
        errors.append(FieldError("options", "only choice fields have options"))

    if errors:
        raise ValidationFailed(errors)
    return replace(definition, label=label, options=options)


def merge_definition(
    current: CustomFieldDefinition | None, values: dict[str, Any]
) -> CustomFieldDefinition:
    """``current`` (None when defining) with the keys of ``values`` applied, then validated.

    Absent keys keep their current value (a new field: not required, active); ``options``
    given as None clears them. Raises ValidationFailed as ``validate_definition`` does.
    """
    merged = CustomFieldDefinition(
        key=values.get("key", current.key if current else None),
        label=values.get("label", current.label if current else None),
        type=values.get("type", current.type if current else None),
        options=tuple(values.get("options") or ())
        if "options" in values or current is None
        else current.options,
        required=values.get("required", current.required if current else False),
        active=values.get("active", current.active if current else True),
    )
    return validate_definition(merged)


def _clean_options(raw: Any) -> tuple[tuple[str, ...], list[FieldError]]:
    if raw is None:
        return (), []
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        return (), [FieldError("options", "must be a list of texts")]
    if len(raw) > MAX_OPTIONS:
        return (), [FieldError("options", f"at most {MAX_OPTIONS} options")]
    options: list[str] = []
    seen: dict[str, str] = {}
    errors: list[FieldError] = []
    for index, option in enumerate(raw):
        try:
            text = clean_text(option, max_length=OPTION_MAX_LENGTH)
        except InvalidValue as error:
            errors.append(FieldError(f"options.{index}", str(error)))
            continue
        if text is None:
            errors.append(FieldError(f"options.{index}", "must not be blank"))
        elif name_key(text) in seen:
            errors.append(
                FieldError(f"options.{index}", f"repeats {seen[name_key(text)]!r} (ignoring case)")
            )
        else:
            seen[name_key(text)] = text
            options.append(text)
    return tuple(options), errors


def validate_custom_values(
    values: dict[str, Any] | None,
    definitions: list[CustomFieldDefinition],
    *,
    date_order: str = "DMY",
    existing: dict[str, Any] | None = None,
    partial: bool = False,
    prefix: str = "custom_fields",
) -> dict[str, Any]:
    """The complete ``custom_fields`` to store, normalized, or ValidationFailed listing every fault.

    Values are read by type: text trimmed, numbers as int/float, dates as ISO
    ``YYYY-MM-DD`` (ambiguous ones in ``date_order``), booleans, choices matched
    ignoring case and spacing and stored as the defined option. None or blank removes
    a value. With ``partial`` the values are merged over ``existing`` (a PATCH, an
    import row whose blank cells were left out); without it they replace it. Required
    active fields must hold a value in the result. Keys no definition knows are
    refused; values for inactive fields may only be removed. Existing values of
    inactive or deleted definitions are kept untouched.
    """
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationFailed([FieldError(prefix, "must be an object")])
    by_key = {definition.key: definition for definition in definitions}
    result: dict[str, Any] = dict(existing or {}) if partial else {}
    errors: list[FieldError] = []

    for key, value in values.items():
        path = f"{prefix}.{key}"
        definition = by_key.get(key)
        if definition is None:
            errors.append(FieldError(path, "is not a defined custom field"))
            continue
        if is_blank(value):
            result.pop(key, None)
            continue
        if not definition.active:
            errors.append(FieldError(path, "is a custom field no longer in use"))
            continue
        try:
            result[key] = _read_value(value, definition, date_order)
        except InvalidValue as error:
            errors.append(FieldError(path, str(error)))

    failed = {error.field for error in errors}
    for definition in definitions:
        path = f"{prefix}.{definition.key}"
        missing = is_blank(result.get(definition.key))
        if definition.active and definition.required and missing and path not in failed:
            errors.append(FieldError(path, "is required"))

    if errors:
        raise ValidationFailed(errors)
    return result


def _read_value(value: Any, definition: CustomFieldDefinition, date_order: str) -> Any:
    match definition.type:
        case "text":
            return clean_text(value, max_length=TEXT_VALUE_MAX_LENGTH, multiline=True)
        case "number":
            return parse_number(value)
        case "date":
            return parse_date(value, date_order).isoformat()
        case "boolean":
            return parse_bool(value)
        case "choice":
            return _choose(value, definition.options)
    raise InvalidValue(f"has an unknown type {definition.type!r}")


def _choose(value: Any, options: tuple[str, ...]) -> str:
    text = clean_text(value, max_length=OPTION_MAX_LENGTH)
    wanted = name_key(text or "")
    for option in options:
        if name_key(option) == wanted:
            return option
    listed = ", ".join(options[:10]) + (", …" if len(options) > 10 else "")
    raise InvalidValue(f"is not one of the options: {listed}")
