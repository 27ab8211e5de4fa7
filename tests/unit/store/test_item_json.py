"""Items built as DynamoDB JSON are exactly what the PynamoDB models serialise (no AWS).

Each kind the API and the importer write has one function that builds its item directly
(chalicelib/store/item_json.py); the models stay for reads. These tests keep the guarantee
``Model(...).serialize()`` gave: the same attributes, of the same types, nulls left out where
a model leaves them out, for full, minimal and odd records; and the same conditions.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.search import sort_key
from chalicelib.store.contacts import ContactItem, contact_item
from chalicelib.store.customers import (
    CUSTOMER_SK,
    FILTER_INDEXES,
    CustomerItem,
    customer_item,
    customer_pk,
    list_key,
    list_shard_key,
)
from chalicelib.store.equipment import EquipmentItem, equipment_item
from chalicelib.store.item_json import (
    absent,
    at_version,
    encode,
    free_or_owned_by,
    owned_by,
    present,
)
from chalicelib.store.records import Op, UniqueClaim, claim_item, new_claim
from chalicelib.store.search_entries import SearchEntryItem, entry_item, entry_pk, shard_of

BOOKKEEPING = {
    "version": 3,
    "created_at": "2026-01-01T00:00:00.000Z",
    "updated_at": "2026-01-02T00:00:00.000Z",
    "created_by": "u-1",
    "updated_by": "u-2",
}
FULL_CUSTOMER = {
    "id": "c1",
    "customer_number": "C000007",
    "import_id": "row-7",
    "name": "Ángel Plumbing",
    "company_name": "Ángel Pty Ltd",
    "first_name": "Ángel",
    "last_name": "Ruiz",
    "email": "office@angel.example",
    "phone": "02 9123 4567",
    "phone_e164": "+61291234567",
    "mobile": "0412 345 678",
    "mobile_e164": "+61412345678",
    "notes": "Gate code 1234\nRing twice",
    "assigned_user_id": "u-9",
    "customer_type_id": "ct-1",
    "lead_source_id": "ls-1",
    "payment_term_id": "pt-1",
    "price_level_id": "pl-1",
    "status": "archived",
    "site_address": {"line1": "4 Quay St", "line2": None, "suburb": "Haymarket", "country": "AU"},
    "billing_address": {"line1": "PO Box 1", "postcode": "2000"},
    "billing_same_as_site": False,
    "billing": {"billing_customer_id": "c0", "invoice_email": "ap@angel.example"},
    "on_hold": True,
    "custom_fields": {
        "floors": 3,
        "area": 12.5,
        "negative": -4,
        "zero": 0,
        "big": 12345678901234567890,
        "pets": True,
        "gate": None,
        "empty": "",
        "tags": ["a", 2, None, {"deep": [1.5]}],
        "nested": {"inner": {"x": "y", "nothing": None}},
        "colours": {"red", "blue"},
        "lucky": {7, 3.5},
    },
    **BOOKKEEPING,
}
MINIMAL_CUSTOMER = {
    "id": "c2",
    "name": "Min",
    "version": 1,
    "created_at": "2026-01-01T00:00:00.000Z",
    "updated_at": "2026-01-01T00:00:00.000Z",
}
NULLS_CUSTOMER = {
    **{name: None for name in FULL_CUSTOMER},
    **MINIMAL_CUSTOMER,
    "custom_fields": {},
    "site_address": {},
    "status": None,
    "billing": {"billing_customer_id": None},
}


def canonical(value: Any) -> Any:
    """Sets are unordered in DynamoDB: compare SS/NS lists as sorted."""
    if isinstance(value, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def model_customer(tenant_id: str, record: dict[str, Any]) -> dict:
    """The customer item as the store built it through CustomerItem before (the reference)."""
    billing = record.get("billing") or {}
    text = ("customer_number", "import_id", "name", "company_name", "first_name", "last_name",
            "email", "phone", "phone_e164", "mobile", "mobile_e164", "notes",
            "assigned_user_id", "customer_type_id", "lead_source_id", "payment_term_id",
            "price_level_id", "status")  # fmt: skip
    item = CustomerItem(
        customer_pk(tenant_id, record["id"]),
        CUSTOMER_SK,
        entity="customer",
        id=record["id"],
        billing_customer_id=billing.get("billing_customer_id"),
        billing_same_as_site=bool(record.get("billing_same_as_site")),
        on_hold=bool(record.get("on_hold")),
        **{k: record.get(k) for k in text if record.get(k) is not None},
        **{k: record.get(k) for k in BOOKKEEPING},
    )
    for name in ("site_address", "billing_address", "billing", "custom_fields"):
        if record.get(name) is not None:
            setattr(item, name, record[name])
    sort = f"{sort_key(record['name'])}#{record['id']}"
    status = record.get("status") or "active"
    item.gsi1pk = list_shard_key(list_key(tenant_id, status), record["id"])
    item.gsi1sk = sort
    for field, (index, facet) in FILTER_INDEXES.items():
        value = billing.get(field) if field == "billing_customer_id" else record.get(field)
        if value:
            key = list_key(tenant_id, status, facet, value)
            setattr(item, f"{index}pk", list_shard_key(key, record["id"]))
            setattr(item, f"{index}sk", sort)
    return item.serialize()


@pytest.mark.parametrize("record", [FULL_CUSTOMER, MINIMAL_CUSTOMER, NULLS_CUSTOMER])
def test_a_customers_item_is_what_its_model_serialises(record):
    assert canonical(customer_item("t1", record)) == canonical(model_customer("t1", record))


def test_a_claims_item_is_what_its_model_serialises():
    assert claim_item("t1", "customer-name", "Ángel  Plumbing", "c1") == (
        new_claim("t1", "customer-name", "Ángel  Plumbing", "c1").serialize()
    )


@pytest.mark.parametrize(
    ("contact_id", "carried"),
    [
        (
            None,
            {
                "sort": "angel plumbing",
                "status": "active",
                "assigned_user_id": "u-1",
                "customer_type_id": None,
                "lead_source_id": "ls-1",
                "billing_customer_id": None,
            },
        ),  # fmt: skip
        ("k1", {}),
    ],
)
def test_a_search_entrys_item_is_what_its_model_serialises(contact_id, carried):
    match = frozenset({"angel", "plumbing", "291234567"})
    built = entry_item("t1", "c1", "plumbing", contact_id, match, carried)
    sk = "plumbing#c1" + (f"#{contact_id}" if contact_id else "")
    model = SearchEntryItem(
        entry_pk("t1", "plumbing", shard_of("c1")), sk, entity="search_entry",
        customer_id="c1", contact_id=contact_id, match=set(match),
        **{k: v for k, v in carried.items() if v is not None},
    )  # fmt: skip
    assert canonical(built) == canonical(model.serialize())


def test_a_search_entry_with_a_second_word_carries_its_gsi1_key_as_the_model_does():
    match = frozenset({"haymarket", "quay"})
    built = entry_item("t1", "c1", "haymarket", None, match, {"status": "active"}, "quay")
    shard = shard_of("c1")
    model = SearchEntryItem(
        entry_pk("t1", "haymarket", shard), "haymarket#c1", entity="search_entry",
        customer_id="c1", match=set(match), status="active",
        gsi1pk=entry_pk("t1", "quay", shard), gsi1sk="quay#c1",
    )  # fmt: skip
    assert canonical(built) == canonical(model.serialize())


CONTACT = {
    "id": "k1", "customer_id": "c1", "first_name": "Pat", "last_name": "Lee",
    "email": "pat@lee.example", "phone": "02 9123 4567", "phone_e164": "+61291234567",
    "mobile": "0412 345 678", "mobile_e164": "+61412345678", "role_id": "r-1",
    "is_default": True, "notes": "Call after 3", **BOOKKEEPING,
}  # fmt: skip
MINIMAL_CHILD = {"id": "k2", "customer_id": "c1", **BOOKKEEPING, "created_by": None}


@pytest.mark.parametrize("record", [CONTACT, MINIMAL_CHILD, {**CONTACT, "email": None}])
def test_a_contacts_item_is_what_its_model_serialises(record):
    values = {k: v for k, v in record.items() if v is not None and k not in ("id", "customer_id")}
    values["is_default"] = bool(record.get("is_default"))
    model = ContactItem.new("t1", "c1", record["id"], **values)
    assert contact_item("t1", record) == model.serialize()


EQUIPMENT = {
    "id": "e1", "customer_id": "c1", "equipment_number": "EQ-1", "name": "Split system",
    "location": "Roof", "make": "Daikin", "model_number": "FTXM", "serial_number": "S1",
    "supplier": "Acme", "equipment_type_id": "et-1", "installation_date": "2021-03-04",
    "commission_date": "2021-03-05", "warranty_expiry": "2026-03-04",
    "service_period_start": "2025-01-01", "service_period_end": "2025-12-31",
    "notes": "Filter\nchanged", **BOOKKEEPING,
}  # fmt: skip


@pytest.mark.parametrize(
    "record",
    [EQUIPMENT, {**MINIMAL_CHILD, "id": "e2", "equipment_type_id": "et-1", "name": None}],
)
def test_an_equipment_item_is_what_its_model_serialises(record):
    values = {k: v for k, v in record.items() if v is not None and k not in ("id", "customer_id")}
    model = EquipmentItem.new("t1", "c1", record["id"], **values)
    assert equipment_item("t1", record) == model.serialize()


def test_conditions_are_worded_as_pynamodb_words_them():
    claim = new_claim("t1", "s", "v", "c1")
    pairs = [
        (absent(), UniqueClaim.pk.does_not_exist()),
        (present(), UniqueClaim.pk.exists()),
        (at_version(3), CustomerItem.version == 3),
        (owned_by("c1"), UniqueClaim.owner_id == "c1"),
        (free_or_owned_by("c1"), UniqueClaim.pk.does_not_exist() | (UniqueClaim.owner_id == "c1")),
    ]
    for built, condition in pairs:
        assert built == Op("save", claim, condition).as_write().condition


def test_values_outside_dynamodbs_types_are_refused_as_pynamodb_refuses_them():
    with pytest.raises(ValueError, match="Unsupported value type"):
        encode((1, 2))
    with pytest.raises(ValueError, match="Cannot serialize set"):
        encode({1, "a"})
    with pytest.raises(ValueError, match="empty set"):
        encode({"custom_fields": {"none_left": set()}})
