"""The import template: one sheet per target, header labels in the tenant's words, dropdowns."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from chalicelib.domain.lookups import LOOKUP_KINDS
from chalicelib.domain.tenant_settings import in_customer_words
from chalicelib.imports.catalog.fields import fields_for, required_rules, template_custom_fields
from chalicelib.imports.read.rows import SHEET_TARGETS, customer_sheet_name
from chalicelib.xlsx.writer import SheetSpec, instructions_sheet, write_workbook

YES_NO = ("Yes", "No")
USERS_LIST = "users"


def template_sheets(
    customer_label: str,
    lookup_names: Mapping[str, Sequence[str]],
    custom_fields: Iterable = (),
) -> list[SheetSpec]:
    """Customers (named per ``customer_label``), Sites, Contacts, Equipment, Instructions.

    The active ``custom_fields`` are columns of the Customers and Sites sheets, after the
    standard ones; a choice field gets a dropdown of its options and a boolean one Yes/No.
    """
    custom_fields = template_custom_fields(custom_fields)
    sheets = []
    names = {"customers": customer_sheet_name(customer_label)}
    names.update({target: sheet for sheet, target in SHEET_TARGETS.items()})
    for target in ("customers", "sites", "contacts", "equipment"):
        fields = fields_for(target, customer_label, custom_fields)
        required = {
            f.label
            for rule in required_rules(target, customer_label, custom_fields)
            if len(rule.keys) == 1
            for f in fields
            if f.key == rule.keys[0]
        }
        dropdowns: dict[str, Sequence[str] | str] = {}
        for f in fields:
            if f.lookup_kind:
                dropdowns[f.label] = f.lookup_kind
            elif f.type == "user":
                dropdowns[f.label] = USERS_LIST
            elif f.type == "boolean":
                dropdowns[f.label] = YES_NO
            elif f.options:
                dropdowns[f.label] = f.options
        comments = {f.label: f.description for f in fields if f.description}
        sheets.append(
            SheetSpec(
                name=names[target],
                headers=[f.label for f in fields],
                required=required,
                dropdowns={k: v for k, v in dropdowns.items() if v},
                comments=comments,
            )
        )
    lines = _instructions(customer_label, bool(custom_fields))
    sheets.append(instructions_sheet("How to fill in this template", lines))
    return sheets


def write_template(
    path: str | os.PathLike,
    customer_label: str,
    lookup_names: Mapping[str, Sequence[str]],
    custom_fields: Iterable = (),
) -> None:
    """Write the template to ``path``; ``lookup_names``: names per lookup kind and "users"."""
    lists = {kind: list(values) for kind, values in lookup_names.items()}
    for kind in LOOKUP_KINDS:
        lists.setdefault(kind, [])
    lists.setdefault(USERS_LIST, [])
    write_workbook(path, template_sheets(customer_label, lists, custom_fields), lists=lists)


def _instructions(label: str, has_custom_fields: bool = False) -> list[str]:
    plural = customer_sheet_name(label)
    custom = [
        f"Your account's custom fields are the last columns of the {plural} and Sites sheets;"
        " choices and Yes/No fields have dropdowns."
    ]
    lines = [
        "One row per record. Row 1 holds the column titles: keep them as they are.",
        "Coloured column titles are required.",
        f"{plural}: each {label.lower()} needs a {label} Name, a Company Name or a First or"
        " Last Name.",
        f"Rows match existing {plural.lower()} by Import ID, else by name (ignoring case and"
        " spaces): a match is updated, otherwise a new record is created.",
        "A blank cell keeps the value already stored; the same file imported again changes"
        " nothing.",
        f"Sites: name the {label.lower()} that pays in Billing {label} (its name or Import ID).",
        f"Contacts and Equipment: name their {label.lower()} in the first column (name or"
        " Import ID).",
        "References work in any order and across sheets.",
        "Customer types, lead sources, contact roles and equipment types you type in are"
        " created; payment terms, price levels and users must already exist (a name that"
        " does not is left out of its row, with a warning).",
        "Dates: a date cell, 2024-03-31, or day/month/year as set in your account settings.",
        "A bad cell (an e-mail, a phone, a date, a postcode, text too long) is left out and"
        " the rest of its row imported, with a warning. A row is skipped only when it has no"
        " name, repeats another row's name or Import ID, or names a customer that is not"
        " there.",
        "Skipped and warned rows are listed in an errors workbook: fix the cells and upload"
        " it again to complete them.",
        *(custom if has_custom_fields else []),
    ]
    return [in_customer_words(line, label) for line in lines]


def write_filled_template(
    path: str | os.PathLike,
    rows: Mapping[str, Iterable[Mapping[str, object]]],
    customer_label: str = "Customer",
    custom_fields: Iterable = (),
) -> None:
    """A template with data: ``rows`` maps a target to dicts of column label → value.

    Used for exports' shape, tests and the benchmark; columns no row uses are still written.
    """
    sheets = []
    names = {"customers": customer_sheet_name(customer_label)}
    names.update({target: sheet for sheet, target in SHEET_TARGETS.items()})
    for target, target_rows in rows.items():
        fields = fields_for(target, customer_label, template_custom_fields(custom_fields))
        headers = [f.label for f in fields]
        sheets.append(
            SheetSpec(
                name=names[target],
                headers=headers,
                rows=_in_column_order(headers, target_rows),
            )
        )
    write_workbook(path, sheets)


def _in_column_order(headers: list[str], rows: Iterable[Mapping[str, object]]):
    return ([row.get(h) for h in headers] for row in rows)
