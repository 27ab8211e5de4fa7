"""Which existing customer a row matches under its import's ``match_on``: pure, on the register
loaded once per import (the rules themselves: ``catalog/rules.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.duplicates import email_key
from chalicelib.domain.values import (
    InvalidValue,
    clean_text,
    name_key,
    normalize_email,
    parse_phone,
)
from chalicelib.imports.catalog.model import MATCH_KEYS

# How a key is named in messages ("matches two customers by email").
KEY_WORDS = {
    "import_id": "Import ID",
    "name": "name",
    "email": "email",
    "phone": "phone",
    "customer_number": "customer number",
}
# Customers named in one message at most (a key shared by many is still one error).
MAX_NAMED = 3


# --- the register by key -----------------------------------------------------------------


def row_keys(
    fields: Mapping[str, Any], name: str | None, country: str, wanted: Iterable[str] = MATCH_KEYS
) -> dict[str, tuple[str, list[str]]]:
    """A customer row's match values by key: key → (the column it came from, normalised values).

    Names and Import IDs as their claims compare them (``name_key``), the customer number too
    (its claim's form: case and spacing ignored), the e-mail lower-cased, phones in E.164 (the
    row's phone and mobile, parsed for ``country``). A value that does not parse matches
    nothing (its cell is warned about or fails the row later, by the value policy). E-mail
    and phones are parsed only when ``wanted`` (the import's ``match_on``) names them: the
    unique keys are always read, their claims are checked whatever matched.
    """
    wanted = set(wanted)
    keys: dict[str, tuple[str, list[str]]] = {}
    if name:
        keys["name"] = ("name", [name_key(name)])
    for key in ("import_id", "customer_number"):
        if text := _text(fields.get(key)):
            keys[key] = (key, [name_key(text)])
    email = "email" in wanted and _parsed(lambda: normalize_email(fields.get("email")))
    if email:
        keys["email"] = ("email", [email_key(email)])
    phones = [
        (column, number)
        for column in ("phone", "mobile")
        if "phone" in wanted
        and fields.get(column) is not None
        and (number := _parsed(lambda c=column: parse_phone(fields.get(c), country).e164))
    ]
    if phones:
        keys["phone"] = (phones[0][0], list(dict.fromkeys(number for _, number in phones)))
    return keys


def record_keys(record: Mapping[str, Any]) -> dict[str, list[str]]:
    """A stored customer's values per match key, normalised as ``row_keys`` does."""
    keys: dict[str, list[str]] = {}
    for key in ("name", "import_id", "customer_number"):
        if record.get(key):
            keys[key] = [name_key(record[key])]
    if email := email_key(record.get("email")):
        keys["email"] = [email]
    phones = [p for p in (record.get("phone_e164"), record.get("mobile_e164")) if p]
    if phones:
        keys["phone"] = phones
    return keys


def _text(value: Any) -> str | None:
    try:
        return clean_text(value)
    except InvalidValue:
        return None


def _parsed(read) -> Any:
    try:
        return read()
    except (InvalidValue, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Matched:
    """The register's customer a row matched, and by which key."""

    customer_id: str
    key: str
    column: str


@dataclass(frozen=True)
class Ambiguous:
    """A key the row gives that two or more customers hold: the row cannot be matched."""

    key: str
    column: str
    customer_ids: tuple[str, ...]


class Register:
    """The tenant's customers by every match key (from the index loaded once per import)."""

    def __init__(self, customers: Mapping[str, Mapping[str, Any]]) -> None:
        self.customers = customers
        self.by_key: dict[str, dict[str, list[str]]] = {key: {} for key in MATCH_KEYS}
        for customer_id, record in customers.items():
            for key, values in record_keys(record).items():
                for value in values:
                    holders = self.by_key[key].setdefault(value, [])
                    if customer_id not in holders:
                        holders.append(customer_id)

    def holders(self, key: str, values: Iterable[str]) -> list[str]:
        """Customers holding any of ``values`` under ``key``, first indexed first."""
        found: list[str] = []
        for value in values:
            for customer_id in self.by_key[key].get(value, ()):
                if customer_id not in found:
                    found.append(customer_id)
        return found

    def match(
        self, keys: Mapping[str, tuple[str, list[str]]], match_on: Iterable[str]
    ) -> Matched | Ambiguous | None:
        """The first key of ``match_on`` the row gives that finds customers: one is the match,
        more are Ambiguous. None when no key finds any (the row would create one)."""
        for key in match_on:
            if key not in keys:
                continue
            column, values = keys[key]
            found = self.holders(key, values)
            if len(found) == 1:
                return Matched(found[0], key, column)
            if found:
                return Ambiguous(key, column, tuple(found))
        return None

    def describe(self, customer_id: str) -> str:
        """How messages name a customer: its number (C000123), else its name."""
        record = self.customers.get(customer_id) or {}
        return record.get("customer_number") or f"'{record.get('name')}'"

    def describe_all(self, customer_ids: Iterable[str]) -> str:
        ids = list(customer_ids)
        named = [self._with_name(i) for i in ids[:MAX_NAMED]]
        more = f" and {len(ids) - MAX_NAMED} more" if len(ids) > MAX_NAMED else ""
        if len(named) == 1:
            return named[0]
        return ", ".join(named[:-1]) + (" and " if not more else ", ") + named[-1] + more

    def _with_name(self, customer_id: str) -> str:
        record = self.customers.get(customer_id) or {}
        number, name = record.get("customer_number"), record.get("name")
        return f"{number} ({name})" if number else f"'{name}'"
