"""Use cases of a customer's contacts, keeping one default contact per customer."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.contacts import default_change
from chalicelib.domain.customers import References, prepare_contact
from chalicelib.services.references import active_ids, settings_of
from chalicelib.store import contacts as store
from chalicelib.store.customers import require_customer
from chalicelib.store.records import version_matches


def _prepare(tenant_id: str, data: dict, existing: dict | None = None) -> dict[str, Any]:
    refs = References(contact_roles=active_ids(tenant_id, "contact-roles"))
    settings = settings_of(tenant_id)
    return prepare_contact(data, existing=existing, refs=refs, settings=settings)


def list_contacts(
    tenant_id: str, customer_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the customer's contacts; NotFound for an unknown customer."""
    return store.list_contacts(tenant_id, customer_id, limit=limit, cursor=cursor)


def get_contact(tenant_id: str, customer_id: str, contact_id: str) -> dict[str, Any]:
    return store.get_contact(tenant_id, customer_id, contact_id).to_record()


def create_contact(tenant_id: str, customer_id: str, data: dict, by: str | None) -> dict:
    """Add a contact; the first one, or one sent with is_default true, becomes the default."""
    parent = require_customer(tenant_id, customer_id)
    prepared = _prepare(tenant_id, data)
    siblings = store.contacts_of(tenant_id, customer_id)
    standings = [store.standing(c) for c in siblings.values()]
    change = default_change(standings, None, says=prepared.get("is_default"))
    prepared["is_default"] = change.is_default
    demote = [siblings[i] for i in change.demote]
    return store.insert_contact(tenant_id, parent, prepared, demote=demote, by=by)


def update_contact(
    tenant_id: str,
    customer_id: str,
    contact_id: str,
    changes: dict,
    *,
    expected_version: int | None,
    by: str | None,
) -> dict:
    """Change a contact (If-Match honoured); is_default true moves the default here.

    ValidationFailed when the default is switched off (make another one the default).
    """
    item = store.get_contact(tenant_id, customer_id, contact_id)
    version_matches(item, expected_version)
    prepared = _prepare(tenant_id, changes, existing=item.to_record())
    siblings = store.contacts_of(tenant_id, customer_id) if "is_default" in changes else {}
    # A null is_default clears the flag, as null clears any field: it says "not the default".
    says = bool(prepared["is_default"]) if "is_default" in changes else None
    standings = [store.standing(c) for c in siblings.values() if c.id != contact_id]
    change = default_change([*standings, store.standing(item)], contact_id, says=says)
    prepared["is_default"] = change.is_default
    demote = [siblings[i] for i in change.demote]
    return store.save_contact(item, prepared, demote=demote, by=by)


def delete_contact(
    tenant_id: str, customer_id: str, contact_id: str, *, expected_version: int | None
) -> None:
    """Remove a contact; when it was the default, the oldest remaining contact takes over."""
    item = store.get_contact(tenant_id, customer_id, contact_id)
    version_matches(item, expected_version)
    siblings = store.contacts_of(tenant_id, customer_id) if item.is_default else {}
    standings = [store.standing(c) for c in siblings.values() if c.id != contact_id]
    change = default_change([*standings, store.standing(item)], contact_id, removing=True)
    store.remove_contact(item, promote=siblings.get(change.promote or ""))
