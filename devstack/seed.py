"""Seeds the demo tenant: an admin, a staff user, and the defaults every new tenant gets."""

from __future__ import annotations

from chalicelib.domain.errors import Conflict
from chalicelib.store import tenants, users

DEMO_TENANT = "demo"
DEMO_ADMIN = {
    "id": "demo-admin",
    "name": "Dana Admin",
    "email": "dana@demo.example",
    "role": "admin",
}
DEMO_STAFF = {"id": "demo-staff", "name": "Sam Staff", "email": "sam@demo.example", "role": "staff"}


def seed_tenant(tenant_id: str = DEMO_TENANT) -> dict[str, int]:
    created = {"users": 0, "lookups": 0}
    for person in (DEMO_ADMIN, DEMO_STAFF):
        values = {k: v for k, v in person.items() if k != "id"}
        try:
            users.create_user(tenant_id, values, by="seed", user_id=f"{tenant_id}-{person['role']}")
            created["users"] += 1
        except Conflict:
            pass
    if tenants.provision_tenant(tenant_id):
        created["lookups"] = tenants.DEFAULT_LOOKUP_COUNT
    return created
