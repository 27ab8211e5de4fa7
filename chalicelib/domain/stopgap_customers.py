"""STOPGAP until branch `customers` lands: a stand-in for its prepare_customer and friends.

The import pipeline calls these only through ``chalicelib.imports.ports.CustomerRules``; when
``chalicelib/domain/customers.py`` arrives, ``chalicelib/imports/wiring.py`` points at it and this
module is deleted. It composes the shared value functions and adds no rule of its own.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.addresses import normalize_address
from chalicelib.domain.custom_fields import validate_custom_values
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.names import derive_customer_name
from chalicelib.domain.values import (
    InvalidValue,
    clean_text,
    normalize_email,
    parse_date,
    parse_phone,
)
from chalicelib.imports.ports import PrepareContext

_TEXT = ("company_name", "first_name", "last_name", "notes", "customer_number", "import_id")
_LOOKUPS = {
    "customer_type_id": "customer-types",
    "lead_source_id": "lead-sources",
    "payment_term_id": "payment-terms",
    "price_level_id": "price-levels",
}


class StopgapCustomerRules:
    """Implements ports.CustomerRules with the shared value functions only."""

    def prepare_customer(self, data: dict[str, Any], ctx: PrepareContext) -> dict[str, Any]:
        errors: list[FieldError] = []
        out: dict[str, Any] = {"id": data.get("id"), "status": data.get("status") or "active"}
        for key in _TEXT:
            out[key] = _text(data, key, errors, multiline=key == "notes")
        out["name"] = derive_customer_name(
            _text(data, "name", errors), out["company_name"], out["first_name"], out["last_name"]
        )
        if not out["name"]:
            errors.append(FieldError("name", "a name is required"))
        out["email"] = _email(data.get("email"), errors)
        for key in ("phone", "mobile"):
            out[key], out[f"{key}_e164"] = _phone(data, key, ctx, errors)
        for key, kind in _LOOKUPS.items():
            out[key] = _known(data.get(key), ctx.known.lookups.get(kind, frozenset()), key, errors)
        out["assigned_user_id"] = _known(
            data.get("assigned_user_id"), ctx.known.users, "assigned_user_id", errors
        )
        for key in ("site_address", "billing_address"):
            try:
                out[key] = normalize_address(
                    data.get(key), default_country=ctx.default_country, prefix=key
                )
            except ValidationFailed as exc:
                errors.extend(exc.errors)
        out["billing_same_as_site"] = bool(data.get("billing_same_as_site") or False)
        if out["billing_same_as_site"]:
            out["billing_address"] = out["site_address"]
        out["on_hold"] = bool(data.get("on_hold") or False)
        billing = dict(data.get("billing") or {})
        if billing.get("billing_customer_id") and billing["billing_customer_id"] == out["id"]:
            errors.append(FieldError("billing.billing_customer_id", "cannot bill to itself"))
        options = dict(billing.get("invoice_options") or {})
        out["billing"] = {
            "billing_customer_id": billing.get("billing_customer_id"),
            "care_of": clean_text(billing.get("care_of")),
            "account_number": clean_text(billing.get("account_number")),
            "invoice_options": {
                k: bool(options.get(k) or False)
                for k in ("send_to_billing_customer", "include_site_details", "email_invoices")
            },
        }
        try:
            out["custom_fields"] = validate_custom_values(
                data.get("custom_fields"), list(ctx.custom_fields), date_order=ctx.date_order
            )
        except ValidationFailed as exc:
            errors.extend(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        return out

    def prepare_contact(self, data: dict[str, Any], ctx: PrepareContext) -> dict[str, Any]:
        errors: list[FieldError] = []
        out: dict[str, Any] = {"id": data.get("id"), "customer_id": data.get("customer_id")}
        for key in ("first_name", "last_name", "notes"):
            out[key] = _text(data, key, errors, multiline=key == "notes")
        if not (out["first_name"] or out["last_name"]):
            errors.append(FieldError("first_name", "a first or last name is required"))
        out["email"] = _email(data.get("email"), errors)
        for key in ("phone", "mobile"):
            out[key], out[f"{key}_e164"] = _phone(data, key, ctx, errors)
        out["role_id"] = _known(
            data.get("role_id"),
            ctx.known.lookups.get("contact-roles", frozenset()),
            "role_id",
            errors,
        )
        out["is_default"] = bool(data.get("is_default") or False)
        if errors:
            raise ValidationFailed(errors)
        return out

    def prepare_equipment(self, data: dict[str, Any], ctx: PrepareContext) -> dict[str, Any]:
        errors: list[FieldError] = []
        out: dict[str, Any] = {"id": data.get("id"), "customer_id": data.get("customer_id")}
        for key in (
            "equipment_number",
            "name",
            "location",
            "make",
            "model_number",
            "serial_number",
            "supplier",
            "notes",
        ):
            out[key] = _text(data, key, errors, multiline=key == "notes")
        if not data.get("equipment_type_id"):
            errors.append(FieldError("equipment_type_id", "is required"))
        out["equipment_type_id"] = _known(
            data.get("equipment_type_id"),
            ctx.known.lookups.get("equipment-types", frozenset()),
            "equipment_type_id",
            errors,
        )
        for key in (
            "installation_date",
            "commission_date",
            "warranty_expiry",
            "service_period_start",
            "service_period_end",
        ):
            value = data.get(key)
            try:
                out[key] = (
                    None if value in (None, "") else parse_date(value, ctx.date_order).isoformat()
                )
            except InvalidValue as exc:
                errors.append(FieldError(key, str(exc)))
        if errors:
            raise ValidationFailed(errors)
        return out


def _text(data: dict, key: str, errors: list[FieldError], *, multiline: bool = False) -> str | None:
    try:
        return clean_text(data.get(key), max_length=2000 if multiline else 200, multiline=multiline)
    except InvalidValue as exc:
        errors.append(FieldError(key, str(exc)))
        return None


def _email(value: Any, errors: list[FieldError]) -> str | None:
    if value in (None, ""):
        return None
    try:
        return normalize_email(value)
    except InvalidValue as exc:
        errors.append(FieldError("email", str(exc)))
        return None


def _phone(
    data: dict, key: str, ctx: PrepareContext, errors: list[FieldError]
) -> tuple[str | None, str | None]:
    value = data.get(key)
    if value in (None, ""):
        return None, None
    try:
        phone = parse_phone(value, ctx.default_country)
    except InvalidValue as exc:
        errors.append(FieldError(key, str(exc)))
        return None, None
    return phone.display, phone.e164


def _known(value: Any, known: frozenset[str], key: str, errors: list[FieldError]) -> str | None:
    if value in (None, ""):
        return None
    if value not in known:
        errors.append(FieldError(key, "is not an active choice"))
        return None
    return value
