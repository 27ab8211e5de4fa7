"""Lookup lists (customer types, payment terms…): their kinds, who may change them, extra fields."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import FieldError, Forbidden, NotFound, ValidationFailed


@dataclass(frozen=True)
class LookupKind:
    name: str
    label: str
    admin_only: bool = False
    extra_fields: tuple[str, ...] = ()
    # What a list of the kind is ordered by: payment terms by due days (7, 14, 30 days),
    # as a dropdown shows them; the others by name, accents ignored.
    order: str = "name"


LOOKUP_KINDS: dict[str, LookupKind] = {
    k.name: k
    for k in (
        LookupKind("customer-types", "customer type"),
        LookupKind("lead-sources", "lead source"),
        LookupKind("contact-roles", "contact role"),
        LookupKind("equipment-types", "equipment type"),
        LookupKind("payment-terms", "payment term", True, ("due_days", "due_basis"), "due_days"),
        LookupKind("price-levels", "price level", True, ("adjustment_percent",)),
    )
}
# Payment terms and price levels change what customers are charged: only admins manage them.
ADMIN_ONLY_KINDS = tuple(name for name, kind in LOOKUP_KINDS.items() if kind.admin_only)
# The "+Add New" kinds any user may add to (and an import creates when a file names a new one).
OPEN_KINDS = tuple(name for name, kind in LOOKUP_KINDS.items() if not kind.admin_only)
LIST_ORDERS = ("name", "due_days")
ALL_EXTRA_FIELDS = ("due_days", "due_basis", "adjustment_percent")
DUE_BASES = ("invoice_date", "end_of_month")


def lookup_kind(kind: str) -> LookupKind:
    try:
        return LOOKUP_KINDS[kind]
    except KeyError:
        known = ", ".join(LOOKUP_KINDS)
        raise NotFound(f"There is no lookup list '{kind}'. Lists: {known}.") from None


def writable_kind(kind: str, *, is_admin: bool) -> LookupKind:
    """The kind a caller changes: NotFound for an unknown kind, Forbidden when admin-only.

    Any user may add customer types, lead sources, contact roles and equipment types (the
    "+Add New" of a dropdown); only admins change payment terms and price levels.
    """
    found = lookup_kind(kind)
    if found.admin_only and not is_admin:
        raise Forbidden(f"Only an admin can change {found.name}.")
    return found


def check_extra_fields(kind: LookupKind, values: dict, *, creating: bool) -> None:
    """Extra fields belong to their kind only, and payment terms need both of theirs."""
    errors = [
        FieldError(name, f"is not a field of {kind.name}")
        for name in ALL_EXTRA_FIELDS
        if name not in kind.extra_fields and values.get(name) is not None
    ]
    if creating and kind.name == "payment-terms":
        errors += [
            FieldError(name, f"is required for {kind.name}")
            for name in ("due_days", "due_basis")
            if values.get(name) is None
        ]
    if errors:
        raise ValidationFailed(errors)


# What a new tenant starts with (chalicelib/store/tenants.py writes them on its first
# request): the usual lists of an Australian trades business, each editable afterwards.
DEFAULT_LOOKUPS: dict[str, list[dict]] = {
    "payment-terms": [
        {"name": "COD", "due_days": 0, "due_basis": "invoice_date"},
        {"name": "7 days", "due_days": 7, "due_basis": "invoice_date"},
        {"name": "14 days", "due_days": 14, "due_basis": "invoice_date"},
        {"name": "30 days end of month", "due_days": 30, "due_basis": "end_of_month"},
    ],
    "price-levels": [
        {"name": "Standard", "adjustment_percent": 0},
        {"name": "Trade", "adjustment_percent": -10},
    ],
    "customer-types": [
        {"name": n} for n in ("Residential", "Commercial", "Property manager", "Government")
    ],
    "lead-sources": [{"name": n} for n in ("Google", "Referral", "Repeat customer", "Website")],
    "contact-roles": [{"name": n} for n in ("Owner", "Tenant", "Property manager", "Accounts")],
    "equipment-types": [
        {"name": n}
        for n in (
            "Hot water system",
            "Split system AC",
            "Smoke alarm",
            "Backflow device",
            "Switchboard",
        )
    ],
}
