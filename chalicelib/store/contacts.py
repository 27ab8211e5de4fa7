"""A customer's contacts, under the customer's partition, written with their default's moves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.domain.contacts import ContactStanding
from chalicelib.domain.customers import CONTACT_FIELDS
from chalicelib.domain.errors import NotFound
from chalicelib.store.base import bind, new_id, now_iso
from chalicelib.store.children import CustomerChildItem, get_child, list_children
from chalicelib.store.customers import CustomerItem, customer_pk
from chalicelib.store.records import Op, stale, transact
from chalicelib.store.search_entries import contact_entry_ops

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


def contacts_of(tenant_id: str, customer_id: str) -> dict[str, ContactItem]:
    """Every contact of a customer by id (lists are short), read consistently: one Query."""
    bind()
    pk = customer_pk(tenant_id, customer_id)
    query = ContactItem.query(pk, ContactItem.sk.startswith(PREFIX), consistent_read=True)
    return {item.id: item for item in query}


def standing(item: ContactItem) -> ContactStanding:
    """What the default-contact rule reads of a stored contact."""
    return ContactStanding(item.id, bool(item.is_default), item.created_at)


def _set_default(item: ContactItem, value: bool, by: str | None) -> Op:
    current = item.version
    item.is_default, item.version = value, current + 1
    item.updated_at, item.updated_by = now_iso(), by
    return Op("save", item, ContactItem.version == current, stale("default contact"))


def _tenant_of(item: ContactItem) -> str:
    return item.pk.removesuffix(f"#CUSTOMER#{item.customer_id}")


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


def insert_contact(
    tenant_id: str,
    parent: CustomerItem,
    prepared: dict,
    *,
    demote: Iterable[ContactItem] = (),
    by: str | None,
) -> dict:
    """Store a new contact of ``parent`` and demote ``demote``, all or nothing.

    ``prepared`` is the contact as the domain made it, ``is_default`` decided. The write
    fails with NotFound when the customer went meanwhile, and with PreconditionFailed when
    a contact to demote changed since it was read.
    """
    now = now_iso()
    item = ContactItem.new(
        tenant_id,
        parent.id,
        new_id(),
        version=1,
        created_at=now,
        updated_at=now,
        created_by=by,
        updated_by=by,
        **{k: v for k, v in prepared.items() if v is not None and k != "is_default"},
    )
    item.is_default = bool(prepared.get("is_default"))
    ops = [Op("save", item, ContactItem.pk.does_not_exist()), _parent_check(parent)]
    ops += contact_entry_ops(tenant_id, item.to_record(), None)
    transact(ops + [_set_default(old, False, by) for old in demote])
    return item.to_record()


def save_contact(
    item: ContactItem, prepared: dict, *, demote: Iterable[ContactItem] = (), by: str | None
) -> dict:
    """Write ``prepared`` over the stored ``item`` and demote ``demote``, all or nothing.

    Each write is conditional on the version read, so a concurrent change is a
    PreconditionFailed rather than a lost update.
    """
    current, before = item.version, item.to_record()
    for name in _STORED:
        setattr(item, name, prepared.get(name))
    item.is_default = bool(prepared.get("is_default"))
    item.version, item.updated_at, item.updated_by = current + 1, now_iso(), by
    ops = [Op("save", item, ContactItem.version == current, stale("contact"))]
    ops += contact_entry_ops(_tenant_of(item), item.to_record(), before)
    transact(ops + [_set_default(old, False, by) for old in demote])
    return item.to_record()


def remove_contact(item: ContactItem, *, promote: ContactItem | None = None) -> None:
    """Delete the stored ``item`` and make ``promote`` the default, all or nothing."""
    ops = [Op("delete", item, ContactItem.version == item.version, stale("contact"))]
    ops += contact_entry_ops(_tenant_of(item), None, item.to_record())
    if promote is not None:
        current = promote.version
        promote.is_default, promote.version = True, current + 1
        promote.updated_at = now_iso()
        ops.append(Op("save", promote, ContactItem.version == current, stale("contact")))
    transact(ops)
