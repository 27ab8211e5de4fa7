"""Questions asked of the catalog: a target's fields in the tenant's words, its required rules."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

from chalicelib.domain.tenant_settings import in_customer_words
from chalicelib.imports.catalog.definitions import CATALOG, CUSTOM_TYPES, NAME_ONE_OF
from chalicelib.imports.catalog.model import TARGETS, CustomFieldLike, ImportField, RequiredRule


def check_target(target: str) -> str:
    """Return ``target`` if it is importable, else raise ValueError naming the choices."""
    if target not in CATALOG:
        raise ValueError(f"unknown import target {target!r}; expected one of {', '.join(TARGETS)}")
    return target


def _custom_field(custom: CustomFieldLike) -> ImportField:
    options = tuple(str(o) for o in (getattr(custom, "options", None) or ()))
    return ImportField(
        key=f"custom_fields.{custom.key}",
        label=custom.label,
        type=CUSTOM_TYPES.get(custom.type, "text"),
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
    fields = list(_catalog_fields(target, customer_label.strip() or "Customer"))
    if target in ("customers", "sites"):
        taken = {f.label.casefold() for f in fields}
        for custom in custom_fields:
            f = _custom_field(custom)
            if f.label.casefold() in taken:  # "Notes" is ours; the tenant's becomes "Notes (notes)"
                f = replace(f, label=f"{f.label} ({custom.key})")
            taken.add(f.label.casefold())
            fields.append(f)
    return fields


@lru_cache(maxsize=64)
def _catalog_fields(target: str, label: str) -> tuple[ImportField, ...]:
    """The catalog's fields of ``target`` in the tenant's words, worded once per label (the
    planner asks for them per row); the fields are frozen, so they are shared safely."""
    return tuple(_in_tenant_words(f, label) for f in CATALOG[target])


def _in_tenant_words(f: ImportField, label: str) -> ImportField:
    """A field's header and note in the tenant's word for customers ("Billing Client")."""
    header = in_customer_words(f.label.replace("{customer}", label), label)
    note = in_customer_words(f.description, label) if f.description else f.description
    if header == f.label and note == f.description:
        return f
    return replace(f, label=header, description=note)


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
            RequiredRule(NAME_ONE_OF.keys, NAME_ONE_OF.message.format(customer=customer_label))
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
