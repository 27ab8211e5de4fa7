"""Stage 2: lookup and user names in the file resolved to ids, and which lookups must be created."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.customers import References
from chalicelib.domain.lookups import OPEN_KINDS
from chalicelib.domain.values import clean_text, name_key
from chalicelib.imports.catalog.fields import fields_for
from chalicelib.imports.read.rows import SheetRow

# "+Add New" kinds are created when a file names one; the others must exist (admins own them).
CREATABLE_KINDS = OPEN_KINDS


@dataclass
class LookupIndex:
    """Names → ids per lookup kind (archived ones remembered so they can be refused by name)."""

    active: dict[str, dict[str, str]] = field(default_factory=dict)
    archived: dict[str, set[str]] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, lookups: Iterable[Any], users: Iterable[Any]) -> LookupIndex:
        """From LookupItem-like (kind, name, id, active) and UserItem-like items."""
        index = cls()
        for item in lookups:
            if item.active:
                index.active.setdefault(item.kind, {})[name_key(item.name)] = item.id
            else:
                index.archived.setdefault(item.kind, set()).add(name_key(item.name))
        for user in users:
            if user.active:
                index.users[name_key(user.name)] = user.id
                index.users[user.email.lower()] = user.id
        return index

    def add(self, kind: str, name: str, lookup_id: str) -> None:
        self.active.setdefault(kind, {})[name_key(name)] = lookup_id

    def references(self) -> References:
        """The active ids validation accepts (lookups created for this file included)."""

        def ids(kind: str) -> frozenset[str]:
            return frozenset(self.active.get(kind, {}).values())

        return References(
            customer_types=ids("customer-types"),
            lead_sources=ids("lead-sources"),
            payment_terms=ids("payment-terms"),
            price_levels=ids("price-levels"),
            users=frozenset(self.users.values()),
            contact_roles=ids("contact-roles"),
            equipment_types=ids("equipment-types"),
        )

    def lookup_id(self, kind: str, name: Any) -> str:
        """The id named by ``name``; LookupError with a user-facing message when there is none."""
        key = name_key(clean_text(name) or "")
        if key in self.active.get(kind, {}):
            return self.active[kind][key]
        if key in self.archived.get(kind, set()):
            raise LookupError(f"'{name}' is archived; restore it or choose another")
        raise LookupError(f"there is no {kind[:-1].replace('-', ' ')} named '{name}'")

    def user_id(self, name: Any) -> str:
        text = clean_text(name) or ""
        found = self.users.get(text.lower()) or self.users.get(name_key(text))
        if found is None:
            raise LookupError(f"there is no active user named or with the e-mail '{name}'")
        return found


def lookup_fields(target: str) -> dict[str, str]:
    """Field key → lookup kind for the lookup columns of ``target``."""
    return {f.key: f.lookup_kind for f in fields_for(target) if f.lookup_kind}


class MissingLookups:
    """Creatable lookup names rows use that the tenant lacks, first spelling kept, per kind."""

    def __init__(self) -> None:
        self._fields: dict[str, dict[str, str]] = {}
        self._missing: dict[str, dict[str, str]] = {}

    def see(self, row: SheetRow, index: LookupIndex) -> None:
        kinds = self._fields.get(row.target)
        if kinds is None:
            kinds = self._fields[row.target] = lookup_fields(row.target)
        for key, kind in kinds.items():
            if kind not in CREATABLE_KINDS or key not in row.fields:
                continue
            name = clean_text(row.fields[key])
            if not name:
                continue
            nk = name_key(name)
            if nk in index.active.get(kind, {}) or nk in index.archived.get(kind, set()):
                continue
            self._missing.setdefault(kind, {}).setdefault(nk, name)

    def names(self) -> dict[str, list[str]]:
        return {kind: list(names.values()) for kind, names in self._missing.items()}


def missing_lookups(rows: Iterable[SheetRow], index: LookupIndex) -> dict[str, list[str]]:
    """The creatable lookups ``rows`` name that ``index`` lacks."""
    missing = MissingLookups()
    for row in rows:
        missing.see(row, index)
    return missing.names()
