"""A customer's contacts, under the customer's partition, written with their default's moves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.domain.contacts import ContactStanding
from chalicelib.domain.customers import CONTACT_FIELDS
from chalicelib.domain.errors import NotFound
from chalicelib.store.base import bind, new_id, now_iso
from chalicelib.store.children import CustomerChildItem, child_item, get_child, list_children
from chalicelib.store.customers import CustomerItem, customer_pk
from chalicelib.store.item_json import Condition, Item, Write, absent, at_version
from chalicelib.store.records import Op, stale, transact
from chalicelib.store.search_entries import contact_entry_ops

_STORED = (*CONTACT_FIELDS, "phone_e164", "mobile_e164")


class ContactItem(CustomerChildItem):
    """pk ``<tenant>#CUSTOMER#<customer id>``, sk ``CONTACT#<id>``; gsi1
    ``<tenant>#CONTACTS#<shard>`` (``children.collection_keys``)."""

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


def contact_item(tenant_id: str, record: dict[str, Any]) -> Item:
    """A contact's item as DynamoDB JSON, for the API's transactions and the importer's rows
    alike: ``record`` has id, customer_id, its fields and bookkeeping (version, created_at,
    updated_at, created_by, updated_by); the same item ContactItem's ``serialize()`` gives."""
    item = child_item(ContactItem, tenant_id, record, _STORED)
    item["is_default"] = {"BOOL": bool(record.get("is_default"))}
    return item


def _put(
    tenant_id: str, item: ContactItem, condition: Condition, on_fail=None
) -> tuple[Write, dict[str, Any]]:
    """The put of a contact read (or made) as a model, and its record."""
    record = item.to_record() | {"created_by": item.created_by, "updated_by": item.updated_by}
    return Write("put", contact_item(tenant_id, record), condition, on_fail), item.to_record()


def contacts_of(tenant_id: str, customer_id: str) -> dict[str, ContactItem]:
    """Every contact of a customer by id (lists are short), read consistently: one Query."""
    bind()
    pk = customer_pk(tenant_id, customer_id)
    query = ContactItem.query(pk, ContactItem.sk.startswith(PREFIX), consistent_read=True)
    return {item.id: item for item in query}


def standing(item: ContactItem) -> ContactStanding:
    """What the default-contact rule reads of a stored contact."""
    return ContactStanding(item.id, bool(item.is_default), item.created_at)


def _set_default(item: ContactItem, value: bool, by: str | None) -> Write:
    current = item.version
    item.is_default, item.version = value, current + 1
    item.updated_at, item.updated_by = now_iso(), by
    return _put(_tenant_of(item), item, at_version(current), stale("default contact"))[0]


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
    put, record = _put(tenant_id, item, absent())
    ops = [put, _parent_check(parent)]
    ops += contact_entry_ops(tenant_id, record, None)
    transact(ops + [_set_default(old, False, by) for old in demote])
    return record


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
    put, record = _put(_tenant_of(item), item, at_version(current), stale("contact"))
    ops = [put, *contact_entry_ops(_tenant_of(item), record, before)]
    transact(ops + [_set_default(old, False, by) for old in demote])
    return record


def remove_contact(item: ContactItem, *, promote: ContactItem | None = None) -> None:
    """Delete the stored ``item`` and make ``promote`` the default, all or nothing."""
    ops: list[Op | Write] = [
        Op("delete", item, ContactItem.version == item.version, stale("contact"))
    ]
    ops += contact_entry_ops(_tenant_of(item), None, item.to_record())
    if promote is not None:
        current = promote.version
        promote.is_default, promote.version = True, current + 1
        promote.updated_at = now_iso()
        ops.append(_put(_tenant_of(promote), promote, at_version(current), stale("contact"))[0])
    transact(ops)
