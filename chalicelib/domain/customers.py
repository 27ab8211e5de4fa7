"""Rules of customers, contacts and equipment: one normaliser each, for the API and the importer."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .addresses import normalize_address
from .custom_fields import CustomFieldDefinition, validate_custom_values
from .errors import Conflict, FieldError, ValidationFailed
from .names import derive_customer_name
from .search import format_customer_number  # noqa: F401  (re-exported: imported from here)
from .tenant_settings import TenantSettings
from .values import (
    InvalidValue,
    clean_text,
    is_blank,
    normalize_email,
    parse_bool,
    parse_date,
    parse_phone,
)

STATUSES = ("active", "archived")
MAX_BILLING_CHAIN = 10
NAME_MAX, TEXT_MAX, NOTES_MAX = 200, 200, 5000

# Plain text fields of a customer and their maximum lengths.
_CUSTOMER_TEXT = {
    "company_name": NAME_MAX,
    "first_name": 100,
    "last_name": 100,
    "customer_number": 30,
    "import_id": 100,
}
_PHONE_FIELDS = ("phone", "mobile")
# Lookup-id fields → the name of the set of active ids they must belong to.
_REFERENCE_FIELDS = {
    "customer_type_id": "customer_types",
    "lead_source_id": "lead_sources",
    "payment_term_id": "payment_terms",
    "price_level_id": "price_levels",
    "assigned_user_id": "users",
}
_REFERENCE_LABELS = {
    "customer_types": "customer type",
    "lead_sources": "lead source",
    "payment_terms": "payment term",
    "price_levels": "price level",
    "users": "user",
    "contact_roles": "contact role",
    "equipment_types": "equipment type",
}
INVOICE_OPTIONS = ("send_to_billing_customer", "include_site_details", "email_invoices")
CUSTOMER_FIELDS = (
    "customer_number",
    "import_id",
    "name",
    "company_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "notes",
    *_REFERENCE_FIELDS,
    "site_address",
    "billing_address",
    "billing_same_as_site",
    "billing",
    "on_hold",
    "status",
    "custom_fields",
)


@dataclass(frozen=True)
class References:
    """The ids a record may refer to: the tenant's active lookups and users, as plain sets.

    ``customers`` (ids a billing customer may be) is checked only when given; the API
    checks billing customers against the table instead.
    """

    customer_types: Collection[str] = frozenset()
    lead_sources: Collection[str] = frozenset()
    payment_terms: Collection[str] = frozenset()
    price_levels: Collection[str] = frozenset()
    users: Collection[str] = frozenset()
    contact_roles: Collection[str] = frozenset()
    equipment_types: Collection[str] = frozenset()
    customers: Collection[str] | None = None


@dataclass
class _Errors:
    items: list[FieldError] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.items.append(FieldError(path, message))

    def run(self, path: str, read: Callable[[], Any]) -> Any:
        """The value ``read`` returns, or None with the error recorded under ``path``."""
        try:
            return read()
        except InvalidValue as error:
            self.add(path, str(error))
        except ValidationFailed as failed:
            self.items += failed.errors
        return None

    def raise_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)


def prepare_customer(
    data: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None = None,
    refs: References,
    settings: TenantSettings,
    custom_field_definitions: Sequence[CustomFieldDefinition] = (),
    customer_id: str | None = None,
) -> dict[str, Any]:
    """The customer record to store, normalised, or one ValidationFailed naming every bad field.

    ``data`` is API-shaped input (lookups already resolved to ids). Without ``existing``
    it creates: absent fields take their defaults. With ``existing`` (a stored record)
    it updates: only keys present in ``data`` change, None clears a field (a None
    ``name`` is derived again), nested objects (addresses, ``billing``) are replaced
    whole and ``custom_fields`` merge key by key. Only references that change are
    checked against ``refs``, so a record keeps a lookup archived after it was chosen.
    Phones keep the form as entered in ``phone``/``mobile`` and the dialable form in
    ``phone_e164``/``mobile_e164``. ``customer_number`` may be None: the store numbers it.
    """
    errors = _Errors()
    unknown = [key for key in data if key not in CUSTOMER_FIELDS]
    for key in unknown:
        errors.add(key, "is not a field of a customer")
    before = dict(existing or {})
    out: dict[str, Any] = dict(before) if existing else _blank_customer()
    given = {k: v for k, v in data.items() if k in CUSTOMER_FIELDS}
    country = settings.default_country

    for key, limit in _CUSTOMER_TEXT.items():
        if key in given:
            out[key] = errors.run(key, lambda k=key, n=limit: clean_text(given[k], max_length=n))
    if "notes" in given:
        out["notes"] = errors.run(
            "notes", lambda: clean_text(given["notes"], max_length=NOTES_MAX, multiline=True)
        )
    out |= _contact_details(errors, given, country)

    if "name" in given or not existing:
        name = errors.run("name", lambda: clean_text(given.get("name"), max_length=NAME_MAX))
        out["name"] = derive_customer_name(
            name, out.get("company_name"), out.get("first_name"), out.get("last_name")
        )
        if out["name"] is None and not any(e.field == "name" for e in errors.items):
            errors.add("name", "is required: give a name, a company name or a person's name")
        elif out["name"] and len(out["name"]) > NAME_MAX:
            errors.add("name", f"is too long: at most {NAME_MAX} characters")

    for key, kind in _REFERENCE_FIELDS.items():
        if key in given:
            out[key] = _reference(errors, key, given[key], getattr(refs, kind), kind, before)

    for key in ("billing_same_as_site", "on_hold"):
        if key in given:
            out[key] = (
                False if given[key] is None else errors.run(key, lambda k=key: parse_bool(given[k]))
            )
    if "status" in given:
        if given["status"] in STATUSES:
            out["status"] = given["status"]
        else:
            errors.add("status", "must be active or archived")

    for key in ("site_address", "billing_address"):
        if key in given:
            out[key] = errors.run(
                key,
                lambda k=key: normalize_address(given[k], default_country=country, prefix=k),
            )
    if out.get("billing_same_as_site"):  # the site address wins over any billing address sent
        out["billing_address"] = out.get("site_address")

    if "billing" in given:
        out["billing"] = _billing(errors, given["billing"], refs, before)
    own_id = customer_id or before.get("id")
    billed_to = (out.get("billing") or {}).get("billing_customer_id")
    if billed_to and own_id and billed_to == own_id:
        errors.add("billing.billing_customer_id", "cannot be the customer itself")

    if "custom_fields" in given or not existing:
        out["custom_fields"] = errors.run(
            "custom_fields",
            lambda: validate_custom_values(
                given.get("custom_fields"),
                list(custom_field_definitions),
                date_order=settings.date_order,
                existing=before.get("custom_fields"),
                partial=bool(existing),
            ),
        )
    errors.raise_any()
    return out


def _contact_details(errors: _Errors, given: Mapping[str, Any], country: str) -> dict[str, Any]:
    """The e-mail and phones among ``given``, normalised: a customer's and a contact's alike.

    Only keys present in ``given`` are returned; a blank value clears the field. Phones give
    the form as entered (``phone``) and the dialable E.164 form (``phone_e164``), parsed for
    ``country`` (ISO alpha-2) when they carry no country code. Bad values are recorded in
    ``errors`` under their field and come back as None.
    """
    out: dict[str, Any] = {}
    if "email" in given:
        out["email"] = (
            None
            if is_blank(given["email"])
            else errors.run("email", lambda: normalize_email(given["email"]))
        )
    for key in _PHONE_FIELDS:
        if key in given:
            phone = (
                None
                if is_blank(given[key])
                else errors.run(key, lambda k=key: parse_phone(given[k], country))
            )
            out[key] = phone.display if phone else None
            out[f"{key}_e164"] = phone.e164 if phone else None
    return out


def _blank_customer() -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(CUSTOMER_FIELDS)
    record.update(
        phone_e164=None,
        mobile_e164=None,
        billing_same_as_site=False,
        on_hold=False,
        status="active",
        billing=empty_billing(),
        custom_fields={},
    )
    return record


def empty_billing() -> dict[str, Any]:
    return {
        "billing_customer_id": None,
        "care_of": None,
        "account_number": None,
        "invoice_options": dict.fromkeys(INVOICE_OPTIONS, False),
    }


def _reference(
    errors: _Errors, path: str, value: Any, known: Collection[str], kind: str, before: Mapping
) -> str | None:
    if is_blank(value):
        return None
    if not isinstance(value, str):
        errors.add(path, "must be an id")
        return None
    if value != before.get(path) and value not in known:
        errors.add(path, f"is not an active {_REFERENCE_LABELS[kind]} of this account")
        return None
    return value


def _billing(errors: _Errors, value: Any, refs: References, before: Mapping) -> dict[str, Any]:
    billing = empty_billing()
    if value is None:
        return billing
    if not isinstance(value, Mapping):
        errors.add("billing", "must be an object")
        return billing
    for key in value:
        if key not in billing:
            errors.add(f"billing.{key}", "is not a field of billing")
    target = value.get("billing_customer_id")
    if not is_blank(target):
        if not isinstance(target, str):
            errors.add("billing.billing_customer_id", "must be a customer id")
        elif (
            refs.customers is not None
            and target not in refs.customers
            and target != (before.get("billing") or {}).get("billing_customer_id")
        ):
            errors.add("billing.billing_customer_id", "is not a customer of this account")
        else:
            billing["billing_customer_id"] = target
    for key in ("care_of", "account_number"):
        billing[key] = errors.run(
            f"billing.{key}", lambda k=key: clean_text(value.get(k), max_length=TEXT_MAX)
        )
    options = value.get("invoice_options") or {}
    if not isinstance(options, Mapping):
        errors.add("billing.invoice_options", "must be an object")
        return billing
    for key in options:
        if key not in INVOICE_OPTIONS:
            errors.add(f"billing.invoice_options.{key}", "is not an invoice option")
    for key in INVOICE_OPTIONS:
        if options.get(key) is not None:
            path = f"billing.invoice_options.{key}"
            read = errors.run(path, lambda k=key: parse_bool(options[k]))
            billing["invoice_options"][key] = bool(read)
    return billing


def find_billing_loop(
    customer_id: str,
    billing_customer_id: str | None,
    billing_customer_of: Callable[[str], str | None],
    *,
    max_depth: int = MAX_BILLING_CHAIN,
) -> FieldError | None:
    """Why billing ``customer_id`` to ``billing_customer_id`` is not allowed, or None when it is.

    Walks the chain upwards with ``billing_customer_of`` (a dict's ``get`` for the
    importer, a read of the table for the API), at most ``max_depth`` steps.
    """
    path = "billing.billing_customer_id"
    current, steps = billing_customer_id, 0
    while current:
        if current == customer_id:
            return FieldError(
                path, "would make a billing loop: that customer is billed to this one"
            )
        steps += 1
        if steps > max_depth:
            return FieldError(path, f"makes a billing chain longer than {max_depth} customers")
        current = billing_customer_of(current)
    return None


def refuse_archiving_a_billing_customer(
    record: Mapping[str, Any], previous: Mapping[str, Any], active_site: Mapping[str, Any] | None
) -> None:
    """Conflict when ``record`` archives a customer that still bills ``active_site``.

    Archiving hides a customer from lists and dropdowns while its sites would still be
    invoiced to it: the sites must be billed elsewhere or archived first.
    """
    if not archives(record, previous) or active_site is None:
        return
    raise Conflict(
        f"'{record['name']}' is the billing customer of active sites, such as "
        f"'{active_site['name']}'. Bill those sites elsewhere or archive them first."
    )


def archives(record: Mapping[str, Any], previous: Mapping[str, Any] | None) -> bool:
    """Whether writing ``record`` over ``previous`` archives an active customer."""
    return record.get("status") == "archived" and (previous or {}).get("status") != "archived"


# ---------------------------------------------------------------- contacts

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "role_id",
    "is_default",
    "notes",
)


def prepare_contact(
    data: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None = None,
    refs: References,
    settings: TenantSettings,
) -> dict[str, Any]:
    """The contact to store, normalised, or ValidationFailed naming every bad field.

    Same update rules as ``prepare_customer``. A contact needs a first or last name;
    ``role_id`` must be an active contact role. ``is_default`` is returned as given
    (None when not given); one default per customer is ``domain.contacts.default_change``.
    """
    errors = _Errors()
    for key in data:
        if key not in CONTACT_FIELDS:
            errors.add(key, "is not a field of a contact")
    before = dict(existing or {})
    out: dict[str, Any] = (
        dict(before)
        if existing
        else {**dict.fromkeys(CONTACT_FIELDS), "phone_e164": None, "mobile_e164": None}
    )
    given = {k: v for k, v in data.items() if k in CONTACT_FIELDS}
    for key in ("first_name", "last_name"):
        if key in given:
            out[key] = errors.run(key, lambda k=key: clean_text(given[k], max_length=100))
    if "notes" in given:
        out["notes"] = errors.run(
            "notes", lambda: clean_text(given["notes"], max_length=NOTES_MAX, multiline=True)
        )
    out |= _contact_details(errors, given, settings.default_country)
    if "role_id" in given:
        out["role_id"] = _reference(
            errors, "role_id", given["role_id"], refs.contact_roles, "contact_roles", before
        )
    if "is_default" in given:
        out["is_default"] = (
            None
            if given["is_default"] is None
            else errors.run("is_default", lambda: parse_bool(given["is_default"]))
        )
    failed = {e.field for e in errors.items}
    if (
        not out.get("first_name")
        and not out.get("last_name")
        and not failed
        & {
            "first_name",
            "last_name",
        }
    ):
        errors.add("first_name", "is required: give a first or last name")
    errors.raise_any()
    return out


# ---------------------------------------------------------------- equipment

EQUIPMENT_DATES = (
    "installation_date",
    "commission_date",
    "warranty_expiry",
    "service_period_start",
    "service_period_end",
)
_EQUIPMENT_TEXT = {
    "equipment_number": 50,
    "name": NAME_MAX,
    "location": TEXT_MAX,
    "make": 100,
    "model_number": 100,
    "serial_number": 100,
    "supplier": NAME_MAX,
}
EQUIPMENT_FIELDS = (*_EQUIPMENT_TEXT, "equipment_type_id", *EQUIPMENT_DATES, "notes")


def prepare_equipment(
    data: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None = None,
    refs: References,
    settings: TenantSettings,
) -> dict[str, Any]:
    """The equipment to store, normalised, or ValidationFailed naming every bad field.

    Same update rules as ``prepare_customer``. ``equipment_type_id`` is required and
    must be an active equipment type; dates are stored ISO ``YYYY-MM-DD`` (ambiguous
    text read in the tenant's ``date_order``); a service period may not end before it
    starts.
    """
    errors = _Errors()
    for key in data:
        if key not in EQUIPMENT_FIELDS:
            errors.add(key, "is not a field of equipment")
    before = dict(existing or {})
    out: dict[str, Any] = dict(before) if existing else dict.fromkeys(EQUIPMENT_FIELDS)
    given = {k: v for k, v in data.items() if k in EQUIPMENT_FIELDS}
    for key, limit in _EQUIPMENT_TEXT.items():
        if key in given:
            out[key] = errors.run(key, lambda k=key, n=limit: clean_text(given[k], max_length=n))
    if "notes" in given:
        out["notes"] = errors.run(
            "notes", lambda: clean_text(given["notes"], max_length=NOTES_MAX, multiline=True)
        )
    for key in EQUIPMENT_DATES:
        if key in given:
            out[key] = (
                None
                if is_blank(given[key])
                else errors.run(
                    key, lambda k=key: parse_date(given[k], settings.date_order).isoformat()
                )
            )
    if "equipment_type_id" in given:
        out["equipment_type_id"] = _reference(
            errors,
            "equipment_type_id",
            given["equipment_type_id"],
            refs.equipment_types,
            "equipment_types",
            before,
        )
    failed = {e.field for e in errors.items}
    if not out.get("equipment_type_id") and "equipment_type_id" not in failed:
        errors.add("equipment_type_id", "is required")
    start, end = out.get("service_period_start"), out.get("service_period_end")
    if start and end and end < start:
        errors.add("service_period_end", "is before service_period_start")
    errors.raise_any()
    return out
