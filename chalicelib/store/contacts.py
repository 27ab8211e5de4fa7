"""A customer's contacts, under the customer's partition; exactly one is the default."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.domain.customers import CONTACT_FIELDS, References, prepare_contact
from chalicelib.domain.errors import FieldError, NotFound, ValidationFailed
from chalicelib.store.base import bind, new_id, now_iso
from chalicelib.store.children import CustomerChildItem, get_child, list_children
from chalicelib.store.customers import CustomerItem, customer_pk, require_customer
from chalicelib.store.lookups import all_lookups
from chalicelib.store.records import Op, stale, transact, version_matches
from chalicelib.store.tenant_settings import get_tenant_settings

_STORED = (*CONTACT_FIELDS, "phone_e164", "mobile_e164")


class ContactItem(CustomerChildItem):
    """pk ``<tenant>#CUSTOMER#<customer id>``, sk ``CONTACT#<id>``; gsi1 ``<tenant>#CONTACTS``."""

    PREFIX = "CONTACT#"
    COLLECTION = "CONTACTS"
    ENTITY = "contact"

    first_name = UnicodeAttribute(null=True)
    last_name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    phone_e164 = UnicodeAttribute(null=True)
    mobile = UnicodeAttribute(null=True)
    mobile_e164 = UnicodeAttribute(null=True)
    role_id = UnicodeAttribute(null=True)
    is_default = BooleanAttribute(default=False)
    notes = UnicodeAttribute(null=True)

    def to_record(self) -> dict[str, Any]:
        record = {"id": self.id, "customer_id": self.customer_id}
        record |= {name: getattr(self, name) for name in _STORED}
        record["is_default"] = bool(self.is_default)
        record |= {
            "version": int(self.version),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        return record


PREFIX = ContactItem.PREFIX


def _references(tenant_id: str) -> References:
    roles = all_lookups(tenant_id, "contact-roles")
    return References(contact_roles=frozenset(r.id for r in roles if r.active))


def _all(tenant_id: str, customer_id: str) -> list[ContactItem]:
    bind()
    pk = customer_pk(tenant_id, customer_id)
    return list(ContactItem.query(pk, ContactItem.sk.startswith(PREFIX), consistent_read=True))


def _demote(item: ContactItem, by: str | None) -> Op:
    current = item.version
    item.is_default, item.version = False, current + 1
    item.updated_at, item.updated_by = now_iso(), by
    return Op("save", item, ContactItem.version == current, stale("default contact"))


def _parent_check(parent: CustomerItem) -> Op:
    return Op(
        "check", parent, CustomerItem.pk.exists(), lambda: NotFound("No customer with that id.")
    )


def list_contacts(
    tenant_id: str, customer_id: str, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    return list_children(ContactItem, tenant_id, customer_id, limit=limit, cursor=cursor)


def get_contact(tenant_id: str, customer_id: str, contact_id: str) -> ContactItem:
    return get_child(ContactItem, tenant_id, customer_id, contact_id, "contact")


def create_contact(tenant_id: str, customer_id: str, data: dict, by: str | None) -> dict:
    """Add a contact; the first one, or one sent with is_default true, becomes the default."""
    parent = require_customer(tenant_id, customer_id)
    prepared = prepare_contact(
        data, refs=_references(tenant_id), settings=get_tenant_settings(tenant_id)
    )
    current = [c for c in _all(tenant_id, customer_id) if c.is_default]
    make_default = bool(prepared.get("is_default")) or not current
    now, contact_id = now_iso(), new_id()
    item = ContactItem.new(
        tenant_id,
        customer_id,
        contact_id,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
        **{k: v for k, v in prepared.items() if v is not None and k != "is_default"},
    )
    item.is_default = make_default
    ops = [Op("save", item, ContactItem.pk.does_not_exist()), _parent_check(parent)]
    if make_default:
        ops += [_demote(old, by) for old in current]
    transact(ops)
    return item.to_record()


def update_contact(
    tenant_id: str,
    customer_id: str,
    contact_id: str,
    changes: dict,
    *,
    expected_version: int | None,
    by: str | None,
) -> dict:
    """Change a contact; is_default true moves the default here in the same transaction."""
    item = get_contact(tenant_id, customer_id, contact_id)
    version_matches(item, expected_version)
    previous = item.to_record()
    prepared = prepare_contact(
        changes,
        existing=previous,
        refs=_references(tenant_id),
        settings=get_tenant_settings(tenant_id),
    )
    ops: list[Op] = []
    if "is_default" in changes and prepared["is_default"] is not previous["is_default"]:
        if not prepared["is_default"]:
            raise ValidationFailed(
                [FieldError("is_default", "make another contact the default instead")]
            )
        others = [c for c in _all(tenant_id, customer_id) if c.is_default and c.id != contact_id]
        ops += [_demote(old, by) for old in others]
    current = item.version
    for name in _STORED:
        setattr(item, name, prepared.get(name))
    item.is_default = bool(prepared["is_default"])
    item.version, item.updated_at, item.updated_by = current + 1, now_iso(), by
    transact([Op("save", item, ContactItem.version == current, stale("contact")), *ops])
    return item.to_record()


def delete_contact(
    tenant_id: str, customer_id: str, contact_id: str, *, expected_version: int | None
) -> None:
    """Remove a contact; when it was the default, the oldest remaining contact takes over."""
    item = get_contact(tenant_id, customer_id, contact_id)
    version_matches(item, expected_version)
    ops = [Op("delete", item, ContactItem.version == item.version, stale("contact"))]
    if item.is_default:
        rest = sorted(
            (c for c in _all(tenant_id, customer_id) if c.id != contact_id),
            key=lambda c: c.created_at,
        )
        if rest:
            heir, current = rest[0], rest[0].version
            heir.is_default, heir.version, heir.updated_at = True, current + 1, now_iso()
            ops.append(Op("save", heir, ContactItem.version == current, stale("contact")))
    transact(ops)
