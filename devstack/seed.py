"""Seeds the demo tenant: an admin, a staff user and the default lookups of a trades business."""

from __future__ import annotations

from chalicelib.domain.errors import Conflict
from chalicelib.domain.lookups import lookup_kind
from chalicelib.store import lookups, users

DEMO_TENANT = "demo"
DEMO_ADMIN = {
    "id": "demo-admin",
    "name": "Dana Admin",
    "email": "dana@demo.example",
    "role": "admin",
}
DEMO_STAFF = {"id": "demo-staff", "name": "Sam Staff", "email": "sam@demo.example", "role": "staff"}

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


def seed_tenant(tenant_id: str = DEMO_TENANT) -> dict[str, int]:
    created = {"users": 0, "lookups": 0}
    for person in (DEMO_ADMIN, DEMO_STAFF):
        values = {k: v for k, v in person.items() if k != "id"}
        try:
            users.create_user(tenant_id, values, by="seed", user_id=f"{tenant_id}-{person['role']}")
            created["users"] += 1
        except Conflict:
            pass
    for kind_name, items in DEFAULT_LOOKUPS.items():
        kind = lookup_kind(kind_name)
        for item in items:
            try:
                lookups.create_lookup(tenant_id, kind, {"active": True, **item}, by="seed")
                created["lookups"] += 1
            except Conflict:
                pass
    return created
