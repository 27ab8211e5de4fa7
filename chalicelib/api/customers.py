"""Routes for customers, their sites, and the custom fields they carry."""

from __future__ import annotations

from chalice import Response

from chalicelib.api.http import Call, Endpoints, QueryParam, page, record
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.lazy import deferred, schemas

api = Endpoints(__name__, "customers")
# Services and models by reference: each loads with the first request that uses it (lazy.py).
s = schemas("chalicelib.api.customer_schemas")
contacts = deferred("chalicelib.services.contacts")
custom_fields = deferred("chalicelib.services.custom_fields")
customers = deferred("chalicelib.services.customers")
equipment = deferred("chalicelib.services.equipment")
STATUS = QueryParam("status", "active (default) or archived.", enum=("active", "archived"))
FILTERS = ("assigned_user_id", "customer_type_id", "lead_source_id", "billing_customer_id")
SORT = QueryParam("sort", "name (the only order; others are refused with 422).", enum=("name",))
LIST_QUERY = (
    QueryParam(
        "q",
        "Prefix search over name, company, person, email, phone, customer number (C000002, "
        "C2 or 000002), site address (street, suburb, postcode), billing account number and "
        "contacts' names; accents and case ignored. Results in name order.",
    ),
    STATUS,
    SORT,
    *(QueryParam(name, f"Only customers with this {name}.") for name in FILTERS),
)


def _status(call: Call) -> str:
    status = call.query("status") or "active"
    if status not in ("active", "archived"):
        raise ValidationFailed([FieldError("status", "must be active or archived")])
    return status


@api.route(
    "/customers",
    "GET",
    summary="Find customers: search with q, filter, sorted by name",
    response=s.CustomerPage,
    query=LIST_QUERY,
    paged=True,
    errors=(422,),
)
def list_customers(call: Call):
    call.sort(SORT.enum)
    limit, cursor = call.page()
    filters = {name: call.query(name) for name in FILTERS}
    items, nxt = customers.find_customers(
        call.tenant_id, call.query("q"), status=_status(call), limit=limit, cursor=cursor, **filters
    )
    return page(items, nxt)


@api.route(
    "/customers",
    "POST",
    summary="Create a customer",
    body=s.CustomerIn,
    response=s.Customer,
    status=201,
    errors=(409, 422),
)
def create_customer(call: Call):
    data = call.body(s.CustomerIn).model_dump(exclude_unset=True)
    return record(customers.create_customer(call.tenant_id, data, call.user_id), 201)


@api.route(
    "/customers/{customer_id}", "GET", summary="Read a customer", response=s.Customer, errors=(404,)
)
def get_customer(call: Call, customer_id: str):
    return record(customers.get_customer(call.tenant_id, customer_id))


@api.route(
    "/customers/{customer_id}",
    "PATCH",
    summary="Change a customer (null clears a field)",
    body=s.CustomerIn,
    response=s.Customer,
    errors=(404, 409, 412, 422),
)
def patch_customer(call: Call, customer_id: str):
    changes = call.body(s.CustomerIn).model_dump(exclude_unset=True)
    saved = customers.update_customer(
        call.tenant_id, customer_id, changes, expected_version=call.if_match(), by=call.user_id
    )
    return record(saved)


@api.route(
    "/customers/{customer_id}",
    "DELETE",
    summary="Archive a customer (409 while it bills active sites)",
    response=s.Customer,
    errors=(404, 409, 412),
)
def archive_customer(call: Call, customer_id: str):
    saved = customers.archive_customer(
        call.tenant_id, customer_id, expected_version=call.if_match(), by=call.user_id
    )
    return record(saved)


@api.route(
    "/customers/{customer_id}/sites",
    "GET",
    summary="List the customers billed to this one, by name",
    response=s.CustomerPage,
    query=(STATUS,),
    paged=True,
    errors=(404,),
)
def list_sites(call: Call, customer_id: str):
    limit, cursor = call.page()
    items, nxt = customers.list_sites(
        call.tenant_id, customer_id, status=_status(call), limit=limit, cursor=cursor
    )
    return page(items, nxt)


@api.route(
    "/customers/{customer_id}/duplicates",
    "GET",
    summary="Customers possibly the same as this one: same email, phone or site address",
    response=s.Duplicates,
    errors=(404,),
)
def duplicates(call: Call, customer_id: str):
    return {"items": customers.find_duplicates(call.tenant_id, customer_id)}


# --- custom fields ---------------------------------------------------------------


@api.route(
    "/custom-fields", "GET", summary="List custom field definitions", response=s.CustomFieldPage
)
def list_custom_fields(call: Call):
    items = custom_fields.list_custom_fields(call.tenant_id)
    return page([item.to_dict() for item in items], None)


@api.route(
    "/custom-fields",
    "POST",
    summary="Define a custom field",
    body=s.CustomFieldCreate,
    response=s.CustomField,
    status=201,
    admin=True,
    errors=(403, 409, 422),
)
def create_custom_field(call: Call):
    values = call.body(s.CustomFieldCreate).model_dump()
    item = custom_fields.create_custom_field(call.tenant_id, values, call.user_id)
    return record(item.to_dict(), 201)


@api.route(
    "/custom-fields/{field_id}",
    "PATCH",
    summary="Change a custom field's label, options, required flag or active flag",
    body=s.CustomFieldPatch,
    response=s.CustomField,
    admin=True,
    errors=(403, 404, 412, 422),
)
def patch_custom_field(call: Call, field_id: str):
    changes = call.body(s.CustomFieldPatch).model_dump(exclude_unset=True)
    item = custom_fields.update_custom_field(
        call.tenant_id, field_id, changes, expected_version=call.if_match(), by=call.user_id
    )
    return record(item.to_dict())


@api.route(
    "/custom-fields/{field_id}",
    "DELETE",
    summary="Retire a custom field (values stay on customers; the key stays reserved)",
    response=s.CustomField,
    admin=True,
    errors=(403, 404, 412),
)
def retire_custom_field(call: Call, field_id: str):
    item = custom_fields.retire_custom_field(
        call.tenant_id, field_id, expected_version=call.if_match(), by=call.user_id
    )
    return record(item.to_dict())


# --- contacts and equipment ---------------------------------------------------------

NO_CONTENT = Response(body="", status_code=204)


@api.route(
    "/customers/{customer_id}/contacts",
    "GET",
    summary="List a customer's contacts",
    response=s.ContactPage,
    paged=True,
    errors=(404,),
)
def list_contacts(call: Call, customer_id: str):
    limit, cursor = call.page()
    return page(*contacts.list_contacts(call.tenant_id, customer_id, limit=limit, cursor=cursor))


@api.route(
    "/customers/{customer_id}/contacts",
    "POST",
    summary="Add a contact (the first one is the default)",
    body=s.ContactIn,
    response=s.Contact,
    status=201,
    errors=(404, 422),
)
def create_contact(call: Call, customer_id: str):
    data = call.body(s.ContactIn).model_dump(exclude_unset=True)
    return record(contacts.create_contact(call.tenant_id, customer_id, data, call.user_id), 201)


@api.route(
    "/customers/{customer_id}/contacts/{contact_id}",
    "GET",
    summary="Read a contact",
    response=s.Contact,
    errors=(404,),
)
def get_contact(call: Call, customer_id: str, contact_id: str):
    return record(contacts.get_contact(call.tenant_id, customer_id, contact_id))


@api.route(
    "/customers/{customer_id}/contacts/{contact_id}",
    "PATCH",
    summary="Change a contact (is_default true moves the default here)",
    body=s.ContactIn,
    response=s.Contact,
    errors=(404, 412, 422),
)
def patch_contact(call: Call, customer_id: str, contact_id: str):
    changes = call.body(s.ContactIn).model_dump(exclude_unset=True)
    saved = contacts.update_contact(
        call.tenant_id,
        customer_id,
        contact_id,
        changes,
        expected_version=call.if_match(),
        by=call.user_id,
    )
    return record(saved)


@api.route(
    "/customers/{customer_id}/contacts/{contact_id}",
    "DELETE",
    summary="Remove a contact (a default's role passes to the oldest other contact)",
    status=204,
    errors=(404, 412),
)
def delete_contact(call: Call, customer_id: str, contact_id: str):
    contacts.delete_contact(
        call.tenant_id, customer_id, contact_id, expected_version=call.if_match()
    )
    return NO_CONTENT


@api.route(
    "/customers/{customer_id}/equipment",
    "GET",
    summary="List a customer's equipment",
    response=s.EquipmentPage,
    paged=True,
    errors=(404,),
)
def list_equipment(call: Call, customer_id: str):
    limit, cursor = call.page()
    return page(*equipment.list_equipment(call.tenant_id, customer_id, limit=limit, cursor=cursor))


@api.route(
    "/customers/{customer_id}/equipment",
    "POST",
    summary="Add equipment to a customer",
    body=s.EquipmentIn,
    response=s.Equipment,
    status=201,
    errors=(404, 409, 422),
)
def create_equipment(call: Call, customer_id: str):
    data = call.body(s.EquipmentIn).model_dump(exclude_unset=True)
    return record(equipment.create_equipment(call.tenant_id, customer_id, data, call.user_id), 201)


@api.route(
    "/customers/{customer_id}/equipment/{equipment_id}",
    "GET",
    summary="Read equipment",
    response=s.Equipment,
    errors=(404,),
)
def get_equipment(call: Call, customer_id: str, equipment_id: str):
    return record(equipment.get_equipment(call.tenant_id, customer_id, equipment_id))


@api.route(
    "/customers/{customer_id}/equipment/{equipment_id}",
    "PATCH",
    summary="Change equipment",
    body=s.EquipmentIn,
    response=s.Equipment,
    errors=(404, 409, 412, 422),
)
def patch_equipment(call: Call, customer_id: str, equipment_id: str):
    changes = call.body(s.EquipmentIn).model_dump(exclude_unset=True)
    saved = equipment.update_equipment(
        call.tenant_id,
        customer_id,
        equipment_id,
        changes,
        expected_version=call.if_match(),
        by=call.user_id,
    )
    return record(saved)


@api.route(
    "/customers/{customer_id}/equipment/{equipment_id}",
    "DELETE",
    summary="Remove equipment and free its number",
    status=204,
    errors=(404, 412),
)
def delete_equipment(call: Call, customer_id: str, equipment_id: str):
    equipment.delete_equipment(
        call.tenant_id, customer_id, equipment_id, expected_version=call.if_match()
    )
    return NO_CONTENT
