"""Request and response schemas of customers, sites, contacts, equipment and custom fields.

Request models check the shape only (which fields, which JSON types); the domain
normalises and validates the values, the same way for the API and the importer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.api.schemas import Strict

Text = str | None
PHONE_NOTE = (
    "Stored as entered (trimmed); parsed in the account's default country unless it "
    "starts with +. The dialable E.164 form is returned beside it as `{}_e164`."
)


class AddressIn(Strict):
    line1: Text = None
    line2: Text = None
    suburb: Text = None
    state: Text = Field(default=None, description="AU and US states are stored as codes (NSW).")
    postcode: str | int | None = None
    country: Text = Field(default=None, description="ISO 3166 alpha-2; default from settings.")
    latitude: float | str | None = None
    longitude: float | str | None = None


class Address(BaseModel):
    line1: Text = None
    line2: Text = None
    suburb: Text = None
    state: Text = None
    postcode: Text = None
    country: Text = None
    latitude: float | None = None
    longitude: float | None = None


class InvoiceOptions(Strict):
    send_to_billing_customer: bool | None = None
    include_site_details: bool | None = None
    email_invoices: bool | None = None


class BillingIn(Strict):
    billing_customer_id: Text = Field(
        default=None, description="The customer invoices go to; this customer is then its site."
    )
    care_of: Text = None
    account_number: Text = None
    invoice_options: InvoiceOptions | None = None


class Billing(BaseModel):
    billing_customer_id: Text
    care_of: Text
    account_number: Text
    invoice_options: dict[str, bool]


class CustomerIn(Strict):
    """A customer to create, or (PATCH) the fields to change: null clears a field."""

    name: Text = Field(
        default=None,
        description="Unique ignoring case and spacing; derived from company_name, else "
        "first_name last_name, when absent.",
    )
    customer_number: Text = Field(default=None, description="Generated (C000001…) when absent.")
    import_id: Text = Field(default=None, description="Your own key; unique when given.")
    company_name: Text = None
    first_name: Text = None
    last_name: Text = None
    email: Text = None
    phone: Text = Field(default=None, description=PHONE_NOTE.format("phone"))
    mobile: Text = Field(default=None, description=PHONE_NOTE.format("mobile"))
    notes: Text = None
    assigned_user_id: Text = Field(default=None, description="An active user of the account.")
    customer_type_id: Text = Field(default=None, description="A customer-types lookup id.")
    lead_source_id: Text = Field(default=None, description="A lead-sources lookup id.")
    payment_term_id: Text = Field(default=None, description="A payment-terms lookup id.")
    price_level_id: Text = Field(default=None, description="A price-levels lookup id.")
    site_address: AddressIn | None = None
    billing_address: AddressIn | None = Field(
        default=None, description="Ignored while billing_same_as_site is true."
    )
    billing_same_as_site: bool | None = Field(
        default=None, description="When true the billing address mirrors the site address."
    )
    billing: BillingIn | None = Field(default=None, description="Replaced whole on PATCH.")
    on_hold: bool | None = None
    status: Literal["active", "archived"] | None = None
    custom_fields: dict[str, Any] | None = Field(
        default=None, description="Keyed by custom field key; PATCH merges key by key."
    )


class Customer(BaseModel):
    id: str
    customer_number: str
    import_id: Text
    name: str
    company_name: Text
    first_name: Text
    last_name: Text
    email: Text
    phone: Text = Field(description="As entered, e.g. 0412 345 678.")
    phone_e164: Text = Field(description="Normalised E.164, e.g. +61412345678.")
    mobile: Text = Field(description="As entered.")
    mobile_e164: Text = Field(description="Normalised E.164.")
    notes: Text
    assigned_user_id: Text
    customer_type_id: Text
    lead_source_id: Text
    payment_term_id: Text
    price_level_id: Text
    site_address: Address | None
    billing_address: Address | None
    billing_same_as_site: bool
    billing: Billing
    on_hold: bool
    status: Literal["active", "archived"]
    custom_fields: dict[str, Any]
    version: int
    created_at: str
    updated_at: str
    created_by: Text
    updated_by: Text


class CustomerPage(BaseModel):
    items: list[Customer]
    next_cursor: str | None


class PossibleDuplicate(BaseModel):
    customer: Customer
    same: list[Literal["email", "phone", "site_address"]] = Field(
        description="what the two share: email (ignoring case), phone (E.164, phone or mobile),"
        " site_address (line 1 and postcode, normalised)"
    )


class Duplicates(BaseModel):
    """Customers possibly the same as this one, by when they were indexed under a shared key."""

    items: list[PossibleDuplicate]


class ContactIn(Strict):
    first_name: Text = None
    last_name: Text = None
    email: Text = None
    phone: Text = Field(default=None, description=PHONE_NOTE.format("phone"))
    mobile: Text = Field(default=None, description=PHONE_NOTE.format("mobile"))
    role_id: Text = Field(default=None, description="A contact-roles lookup id.")
    is_default: bool | None = Field(
        default=None,
        description="One default per customer: true moves the default here. The first "
        "contact is the default.",
    )
    notes: Text = None


class Contact(BaseModel):
    id: str
    customer_id: str
    first_name: Text
    last_name: Text
    email: Text
    phone: Text
    phone_e164: Text
    mobile: Text
    mobile_e164: Text
    role_id: Text
    is_default: bool
    notes: Text
    version: int
    created_at: str
    updated_at: str


class ContactPage(BaseModel):
    items: list[Contact]
    next_cursor: str | None


DateText = str | int | None


class EquipmentIn(Strict):
    equipment_number: Text = Field(default=None, description="Unique within its customer.")
    name: Text = None
    location: Text = None
    make: Text = None
    model_number: Text = None
    serial_number: Text = None
    supplier: Text = None
    equipment_type_id: Text = Field(default=None, description="Required: an equipment-types id.")
    installation_date: DateText = Field(default=None, description="YYYY-MM-DD.")
    commission_date: DateText = None
    warranty_expiry: DateText = None
    service_period_start: DateText = None
    service_period_end: DateText = None
    notes: Text = None


class Equipment(BaseModel):
    id: str
    customer_id: str
    equipment_number: Text
    name: Text
    location: Text
    make: Text
    model_number: Text
    serial_number: Text
    supplier: Text
    equipment_type_id: str
    installation_date: Text
    commission_date: Text
    warranty_expiry: Text
    service_period_start: Text
    service_period_end: Text
    notes: Text
    version: int
    created_at: str
    updated_at: str


class EquipmentPage(BaseModel):
    items: list[Equipment]
    next_cursor: str | None


class CustomFieldCreate(Strict):
    key: str = Field(description="lower_snake_case; the key in a customer's custom_fields.")
    label: str
    type: Literal["text", "number", "date", "boolean", "choice"]
    options: list[str] | None = Field(default=None, description="choice fields only.")
    required: bool = False
    active: bool = True


class CustomFieldPatch(Strict):
    """Key and type cannot change once customers may hold values."""

    label: str | None = None
    options: list[str] | None = None
    required: bool | None = None
    active: bool | None = None


class CustomField(BaseModel):
    id: str
    key: str
    label: str
    type: str
    options: list[str]
    required: bool
    active: bool
    version: int
    created_at: str
    updated_at: str


class CustomFieldPage(BaseModel):
    items: list[CustomField]
    next_cursor: str | None
