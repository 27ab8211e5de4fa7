"""The catalog of importable fields per target, for template, API, suggester, validation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

TARGETS = ("customers", "sites", "contacts", "equipment")
FIELD_TYPES = (
    "text",
    "email",
    "phone",
    "date",
    "boolean",
    "number",
    "lookup",
    "user",
    "reference",
    "country",
    "postcode",
    "state",
    "choice",
)


@dataclass(frozen=True)
class ImportField:
    """One column a file may fill: ``key`` is the record path the importer writes."""

    key: str
    label: str
    type: str = "text"
    required: bool = False
    lookup_kind: str | None = None
    synonyms: tuple[str, ...] = ()
    description: str = ""
    options: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "label": self.label,
            "type": self.type,
            "required": self.required,
            "description": self.description,
            "synonyms": list(self.synonyms),
        }
        if self.lookup_kind:
            data["lookup_kind"] = self.lookup_kind
        if self.options:
            data["options"] = list(self.options)
        return data


@dataclass(frozen=True)
class RequiredRule:
    """At least one of ``keys`` must be given; a single key is a plain required field."""

    keys: tuple[str, ...]
    message: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        return {"one_of": list(self.keys), "message": self.message}


class CustomFieldLike(Protocol):
    key: str
    label: str
    type: str
    options: Any
    required: bool


# -- address fields -------------------------------------------------------------------------

ADDRESS_PARTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # part: (label suffix, type, synonyms of the part alone)
    "line1": (
        "Address Line 1",
        "text",
        (
            "address line 1",
            "address 1",
            "address",
            "street",
            "street address",
            "line 1",
            "street 1",
            "addr line 1",
            "address street",
            "street line 1",
            "address1",
        ),
    ),
    "line2": (
        "Address Line 2",
        "text",
        ("address line 2", "address 2", "line 2", "street 2", "addr line 2", "street line 2"),
    ),
    "suburb": (
        "Suburb",
        "text",
        (
            "suburb",
            "city",
            "town",
            "suburb town",
            "locality",
            "city suburb",
            "suburb city",
            "town city",
            "city town",
        ),
    ),
    "state": (
        "State",
        "state",
        (
            "state",
            "region",
            "province",
            "state province",
            "territory",
            "state region",
            "state territory",
        ),
    ),
    "postcode": (
        "Postcode",
        "postcode",
        (
            "postcode",
            "post code",
            "postal code",
            "zip",
            "zip code",
            "zip postal code",
            "postal zip code",
            "zipcode",
            "pcode",
            "pc",
            "p code",
        ),
    ),
    "country": ("Country", "country", ("country", "country region", "country code")),
}

# Prefix words people put before address parts, per side ("" = no prefix means the site).
ADDRESS_PREFIXES = {
    "site_address": (
        "",
        "site",
        "service",
        "shipping",
        "ship to",
        "street",
        "physical",
        "sa",
        "property",
        "job",
        "location",
        "delivery",
        "business",
        "addr 1",
        "address 1",
    ),
    "billing_address": (
        "billing",
        "bill to",
        "bill",
        "po",
        "postal",
        "mailing",
        "invoice",
        "po box",
        "addr 2",
        "address 2",
    ),
}


def _address_fields(prefix: str, title: str) -> list[ImportField]:
    side = "site" if prefix == "site_address" else "billing"
    fields = []
    for part, (suffix, type_, synonyms) in ADDRESS_PARTS.items():
        label = f"{title} {suffix}" if part in ("line1", "line2") else f"{title} {suffix}"
        prefixed = tuple(
            f"{word} {syn}".strip()
            for word in ADDRESS_PREFIXES[prefix]
            if word or prefix == "site_address"  # no prefix means the site
            for syn in synonyms
        )
        fields.append(
            ImportField(
                key=f"{prefix}.{part}",
                label=label,
                type=type_,
                synonyms=prefixed,
                description=f"{suffix} of the {side} address.",
            )
        )
    return fields


# -- the catalog ----------------------------------------------------------------------------

_CUSTOMER_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        "{customer} Name",
        synonyms=(
            "customer",
            "customer name",
            "client",
            "client name",
            "contact name",
            "display name",
            "account name",
            "name",
            "card name",
            "customer full name",
            "full name",
            "customer display name",
            "company or name",
            "site name",
            "property name",
        ),
        description="Display name, matched on re-import; from company or person when blank.",
    ),
    ImportField(
        "company_name",
        "Company Name",
        synonyms=(
            "company",
            "business name",
            "business",
            "organisation",
            "organization",
            "trading name",
            "co last name",
            "company last name",
            "organisation name",
            "organization name",
            "company name",
        ),
        description="Business name.",
    ),
    ImportField(
        "first_name",
        "First Name",
        synonyms=(
            "first name",
            "firstname",
            "given name",
            "forename",
            "first",
            "primary contact first name",
            "contact first name",
        ),
        description="Given name of a person customer.",
    ),
    ImportField(
        "last_name",
        "Last Name",
        synonyms=(
            "last name",
            "lastname",
            "surname",
            "family name",
            "last",
            "primary contact last name",
            "contact last name",
        ),
        description="Family name of a person customer.",
    ),
    ImportField(
        "email",
        "Email",
        "email",
        synonyms=(
            "email",
            "email address",
            "emails",
            "primary email",
            "main email",
            "email 1",
            "contact email",
            "customer email",
            "work email",
            "billing email",
        ),
        description="Main e-mail address.",
    ),
    ImportField(
        "phone",
        "Phone",
        "phone",
        synonyms=(
            "phone",
            "phone number",
            "telephone",
            "tel",
            "main phone",
            "main phone number",
            "work phone",
            "business phone",
            "office phone",
            "landline",
            "phone 1",
            "phone number 1",
            "telephone number",
            "primary phone",
            "contact phone",
            "home phone",
            "ph",
            "home number",
            "work number",
            "business number",
            "day phone",
        ),
        description="Main phone number (landline).",
    ),
    ImportField(
        "mobile",
        "Mobile",
        "phone",
        synonyms=(
            "mobile",
            "mobile phone",
            "mobile number",
            "cell",
            "cell phone",
            "mob",
            "mobile phone number",
            "cellphone",
            "mobile 1",
            "contact mobile",
        ),
        description="Mobile phone number.",
    ),
    ImportField(
        "notes",
        "Notes",
        synonyms=(
            "notes",
            "note",
            "comments",
            "comment",
            "memo",
            "remarks",
            "customer notes",
            "internal notes",
            "description",
            "job notes",
            "additional info",
        ),
        description="Free-text notes.",
    ),
    ImportField(
        "customer_number",
        "{customer} Number",
        synonyms=(
            "customer number",
            "client number",
            "customer id",
            "client id",
            "customer code",
            "client code",
            "card id",
            "customer ref",
            "customer reference",
            "cust number",
            "customer account number",
            "account code",
        ),
        description="Tenant-unique number; generated as C000123 when blank.",
    ),
    ImportField(
        "import_id",
        "Import ID",
        synonyms=(
            "import id",
            "external id",
            "legacy id",
            "record id",
            "source id",
            "old id",
            "id",
            "uuid",
            "external reference",
            "unique id",
            "account id",
            "contact id",
            "customer uuid",
            "reference id",
            "zoho id",
            "hubspot id",
            "j id",
            "jid",
            "salesforce id",
        ),
        description="Your own key for this record, used to match it on re-import.",
    ),
    ImportField(
        "assigned_user",
        "Assigned User",
        "user",
        synonyms=(
            "account manager",
            "salesperson",
            "sales person",
            "sales rep",
            "owner",
            "contact owner",
            "account owner",
            "customer owner",
            "assigned to",
            "assigned user",
            "staff member",
            "rep",
            "manager",
            "assigned staff",
        ),
        description="Account manager: a user's name or e-mail.",
    ),
    ImportField(
        "customer_type",
        "{customer} Type",
        "lookup",
        lookup_kind="customer-types",
        synonyms=(
            "customer type",
            "client type",
            "type",
            "category",
            "customer category",
            "customer group",
            "client category",
            "account type",
            "segment",
            "customer class",
            "classification",
        ),
        description="Customer type (created if missing).",
    ),
    ImportField(
        "lead_source",
        "Lead Source",
        "lookup",
        lookup_kind="lead-sources",
        synonyms=(
            "lead source",
            "source",
            "referral source",
            "how did you hear about us",
            "original source",
            "lead",
            "referred by",
            "marketing source",
            "referral",
            "acquisition source",
            "account source",
            "contact source",
        ),
        description="Where the customer came from (created if missing).",
    ),
    ImportField(
        "payment_term",
        "Payment Term",
        "lookup",
        lookup_kind="payment-terms",
        synonyms=(
            "payment term",
            "payment terms",
            "terms",
            "terms payment is due",
            "credit terms",
            "invoice terms",
            "trading terms",
            "sales terms",
        ),
        description="Payment term by name; it must exist.",
    ),
    ImportField(
        "price_level",
        "Price Level",
        "lookup",
        lookup_kind="price-levels",
        synonyms=(
            "price level",
            "price list",
            "pricing level",
            "price tier",
            "price book",
            "pricing tier",
            "price group",
            "pricing",
        ),
        description="Price level by name; it must exist.",
    ),
    *_address_fields("site_address", "Site"),
    *_address_fields("billing_address", "Billing"),
    ImportField(
        "billing_same_as_site",
        "Billing Same As Site",
        "boolean",
        synonyms=(
            "billing same as site",
            "billing address same as site",
            "same as site address",
            "billing same as service",
        ),
        description="Yes when the billing address is the site address.",
    ),
    ImportField(
        "billing_customer",
        "Billing Customer",
        "reference",
        synonyms=(
            "billing customer",
            "bill to customer",
            "billing customer name",
            "invoice to",
            "parent customer",
            "parent account",
            "parent",
            "property manager",
            "managing agent",
            "billing account",
            "bill to name",
            "parent client",
            "billing client",
            "head office",
            "parent company",
        ),
        description="The customer invoiced for this site: its name or import ID.",
    ),
    ImportField(
        "billing.care_of",
        "Care Of",
        synonyms=(
            "care of",
            "c o",
            "attention",
            "attn",
            "attention to",
            "billing contact",
            "billing attention",
            "po attention to",
            "billing care of",
            "invoice attention",
        ),
        description="Person or department the invoice is addressed to.",
    ),
    ImportField(
        "billing.account_number",
        "Account Number",
        synonyms=(
            "account number",
            "account",
            "acct number",
            "billing account number",
            "account no",
            "account reference",
            "account ref",
            "acc number",
        ),
        description="Account number to quote on invoices.",
    ),
    ImportField(
        "billing.invoice_options.send_to_billing_customer",
        "Send Invoices To Billing Customer",
        "boolean",
        synonyms=(
            "send to billing customer",
            "invoice billing customer",
            "send invoices to billing customer",
        ),
        description="Yes to send this site's invoices to its billing customer.",
    ),
    ImportField(
        "billing.invoice_options.include_site_details",
        "Include Site Details On Invoice",
        "boolean",
        synonyms=(
            "include site details",
            "show site on invoice",
            "include site details on invoice",
        ),
        description="Yes to print the site's details on invoices.",
    ),
    ImportField(
        "billing.invoice_options.email_invoices",
        "Email Invoices",
        "boolean",
        synonyms=(
            "email invoices",
            "email invoice",
            "invoice by email",
            "send invoices by email",
            "emailed invoices",
            "invoice delivery email",
        ),
        description="Yes to e-mail invoices.",
    ),
    ImportField(
        "on_hold",
        "On Hold",
        "boolean",
        synonyms=(
            "on hold",
            "hold",
            "account on hold",
            "credit hold",
            "stop credit",
            "on stop",
            "stop supply",
            "blocked",
        ),
        description="Yes when work for this customer is on hold.",
    ),
)

_CUSTOMER_REF_SYNONYMS = (
    "customer",
    "customer name",
    "client",
    "client name",
    "account",
    "account name",
    "company",
    "company name",
    "customer import id",
    "customer id",
    "customer import id or name",
    "organisation",
    "organization",
    "site",
    "site name",
    "property",
    "customer reference",
    "associated company",
    "parent customer",
)

_CONTACT_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "customer",
        "{customer} Import ID or Name",
        "reference",
        required=True,
        synonyms=_CUSTOMER_REF_SYNONYMS,
        description="The customer this contact belongs to: its import ID or name.",
    ),
    ImportField(
        "first_name",
        "First Name",
        synonyms=("first name", "firstname", "given name", "forename", "first"),
        description="Given name.",
    ),
    ImportField(
        "last_name",
        "Last Name",
        synonyms=("last name", "lastname", "surname", "family name", "last"),
        description="Family name.",
    ),
    ImportField(
        "email",
        "Email",
        "email",
        synonyms=("email", "email address", "emails", "primary email", "work email"),
        description="E-mail address.",
    ),
    ImportField(
        "phone",
        "Phone",
        "phone",
        synonyms=(
            "phone",
            "phone number",
            "telephone",
            "tel",
            "work phone",
            "business phone",
            "office phone",
            "direct line",
            "ddi",
        ),
        description="Phone number.",
    ),
    ImportField(
        "mobile",
        "Mobile",
        "phone",
        synonyms=(
            "mobile",
            "mobile phone",
            "mobile number",
            "mobile phone number",
            "cell",
            "cell phone",
            "mob",
        ),
        description="Mobile number.",
    ),
    ImportField(
        "role",
        "Role",
        "lookup",
        lookup_kind="contact-roles",
        synonyms=(
            "role",
            "contact role",
            "position",
            "job title",
            "title",
            "contact type",
            "relationship",
        ),
        description="Contact role (created if missing).",
    ),
    ImportField(
        "is_default",
        "Default Contact",
        "boolean",
        synonyms=(
            "default contact",
            "default",
            "primary",
            "primary contact",
            "main contact",
            "is primary",
            "is default",
        ),
        description="Yes for the customer's main contact (one per customer).",
    ),
    ImportField(
        "notes",
        "Notes",
        synonyms=("notes", "note", "comments", "comment", "memo"),
        description="Free-text notes.",
    ),
)

_EQUIPMENT_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "customer",
        "{customer} Import ID or Name",
        "reference",
        required=True,
        synonyms=_CUSTOMER_REF_SYNONYMS,
        description="The customer (usually a site) the equipment is at: its import ID or name.",
    ),
    ImportField(
        "equipment_number",
        "Equipment Number",
        synonyms=(
            "equipment number",
            "asset number",
            "asset id",
            "asset tag",
            "equipment id",
            "equipment code",
            "asset code",
            "tag number",
            "tag",
            "unit number",
        ),
        description="Number unique within its customer.",
    ),
    ImportField(
        "name",
        "Equipment Name",
        synonyms=(
            "equipment name",
            "asset name",
            "equipment",
            "asset",
            "item",
            "description",
            "name",
            "unit name",
        ),
        description="Name or short description.",
    ),
    ImportField(
        "location",
        "Location",
        synonyms=(
            "location",
            "position",
            "area",
            "room",
            "location on site",
            "installed location",
            "level",
        ),
        description="Where on the site it is.",
    ),
    ImportField(
        "make",
        "Make",
        synonyms=("make", "brand", "manufacturer", "mfr", "manufacturer name"),
        description="Manufacturer.",
    ),
    ImportField(
        "model_number",
        "Model Number",
        synonyms=("model number", "model", "model no", "model code", "model name"),
        description="Model number.",
    ),
    ImportField(
        "serial_number",
        "Serial Number",
        synonyms=("serial number", "serial", "serial no", "s n", "sn", "serial code"),
        description="Serial number.",
    ),
    ImportField(
        "supplier",
        "Supplier",
        synonyms=("supplier", "vendor", "purchased from", "supplied by", "wholesaler"),
        description="Who supplied it.",
    ),
    ImportField(
        "equipment_type",
        "Equipment Type",
        "lookup",
        required=True,
        lookup_kind="equipment-types",
        synonyms=(
            "equipment type",
            "asset type",
            "type",
            "category",
            "equipment category",
            "asset category",
            "asset class",
        ),
        description="Equipment type (created if missing).",
    ),
    ImportField(
        "installation_date",
        "Installation Date",
        "date",
        synonyms=(
            "installation date",
            "install date",
            "installed",
            "date installed",
            "installed on",
            "installation",
        ),
        description="Date installed.",
    ),
    ImportField(
        "commission_date",
        "Commission Date",
        "date",
        synonyms=(
            "commission date",
            "commissioned",
            "commissioning date",
            "date commissioned",
            "commissioned on",
        ),
        description="Date commissioned.",
    ),
    ImportField(
        "warranty_expiry",
        "Warranty Expiry",
        "date",
        synonyms=(
            "warranty expiry",
            "warranty",
            "warranty expires",
            "warranty end",
            "warranty expiry date",
            "warranty until",
            "warranty end date",
            "warranty expiration",
        ),
        description="Date the warranty ends.",
    ),
    ImportField(
        "service_period_start",
        "Service Period Start",
        "date",
        synonyms=(
            "service period start",
            "service start",
            "contract start",
            "maintenance start",
            "service start date",
            "contract start date",
        ),
        description="First day of the service period.",
    ),
    ImportField(
        "service_period_end",
        "Service Period End",
        "date",
        synonyms=(
            "service period end",
            "service end",
            "contract end",
            "maintenance end",
            "service end date",
            "contract end date",
        ),
        description="Last day of the service period.",
    ),
    ImportField(
        "notes",
        "Notes",
        synonyms=("notes", "note", "comments", "comment", "memo"),
        description="Free-text notes.",
    ),
)

_NAME_ONE_OF = RequiredRule(
    ("name", "company_name", "first_name", "last_name"),
    "a name is required: {customer} Name, Company Name, or First/Last Name",
)


def _sites_fields() -> tuple[ImportField, ...]:
    return tuple(
        ImportField(**{**f.__dict__, "required": True}) if f.key == "billing_customer" else f
        for f in _CUSTOMER_FIELDS
    )


_CATALOG: dict[str, tuple[ImportField, ...]] = {
    "customers": _CUSTOMER_FIELDS,
    "sites": _sites_fields(),
    "contacts": _CONTACT_FIELDS,
    "equipment": _EQUIPMENT_FIELDS,
}

_CUSTOM_TYPES = {
    "text": "text",
    "number": "number",
    "date": "date",
    "boolean": "boolean",
    "choice": "choice",
}


def check_target(target: str) -> str:
    """Return ``target`` if it is importable, else raise ValueError naming the choices."""
    if target not in _CATALOG:
        raise ValueError(f"unknown import target {target!r}; expected one of {', '.join(TARGETS)}")
    return target


def _custom_field(custom: CustomFieldLike) -> ImportField:
    options = tuple(str(o) for o in (getattr(custom, "options", None) or ()))
    return ImportField(
        key=f"custom_fields.{custom.key}",
        label=custom.label,
        type=_CUSTOM_TYPES.get(custom.type, "text"),
        required=bool(getattr(custom, "required", False)),
        synonyms=(custom.key.replace("_", " "),),
        description=f"Custom field ({custom.type}).",
        options=options,
    )


def fields_for(
    target: str, customer_label: str = "Customer", custom_fields: Iterable[CustomFieldLike] = ()
) -> list[ImportField]:
    """The fields of ``target`` with labels in the tenant's words, custom fields last.

    Custom fields are offered on the customer-like targets (customers and sites) only: custom
    field definitions have no target, and only customers hold ``custom_fields``. A custom
    field whose label another column already has is labelled with its key too, so every
    column of a template is found again by its label.
    """
    check_target(target)
    label = customer_label.strip() or "Customer"
    fields = [
        ImportField(**{**f.__dict__, "label": f.label.replace("{customer}", label)})
        if "{customer}" in f.label
        else f
        for f in _CATALOG[target]
    ]
    if target in ("customers", "sites"):
        taken = {f.label.casefold() for f in fields}
        for custom in custom_fields:
            f = _custom_field(custom)
            if f.label.casefold() in taken:  # "Notes" is ours; the tenant's becomes "Notes (notes)"
                f = replace(f, label=f"{f.label} ({custom.key})")
            taken.add(f.label.casefold())
            fields.append(f)
    return fields


def template_custom_fields(custom_fields: Iterable[CustomFieldLike]) -> list[CustomFieldLike]:
    """The custom fields the template and the export have a column for: the active ones.

    An inactive field takes no new values, and a blank cell would keep the old one, so its
    column could only produce errors; a file that still has one imports with it ignored.
    """
    return [c for c in custom_fields if getattr(c, "active", True)]


def required_rules(
    target: str, customer_label: str = "Customer", custom_fields: Iterable[CustomFieldLike] = ()
) -> list[RequiredRule]:
    """What a row (and a mapping) of ``target`` must provide; "one of" rules group alternatives."""
    fields = fields_for(target, customer_label, custom_fields)
    rules = []
    if target in ("customers", "sites"):
        rules.append(
            RequiredRule(_NAME_ONE_OF.keys, _NAME_ONE_OF.message.format(customer=customer_label))
        )
    rules.extend(RequiredRule((f.key,), f"{f.label} is required") for f in fields if f.required)
    return rules


def field_by_label(
    target: str,
    label: str,
    customer_label: str = "Customer",
    custom_fields: Iterable[CustomFieldLike] = (),
) -> ImportField | None:
    """The field whose template header is ``label`` (ignoring case and outer spaces), if any."""
    # The template may mark required columns: "Customer Name *" or "Customer Name (required)".
    text = re.sub(r"\s*(\*|\(required\))\s*$", "", str(label), flags=re.I)
    wanted = " ".join(text.split()).casefold()
    for f in fields_for(target, customer_label, custom_fields):
        if f.label.casefold() == wanted:
            return f
    return None
