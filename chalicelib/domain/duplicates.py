"""Possible duplicate customers: the keys two customers may share and who shares them with whom.

One rule for the importer (a row that creates a customer is warned) and for
``GET /v1/customers/{id}/duplicates``: two customers are possibly the same when they share an
e-mail address (ignoring case), a phone number (E.164; a customer's phone and mobile both
count) or a site address (line 1 and postcode, normalised by ``address_key``). A site and
its own billing customer are never duplicates of each other: sharing the property manager's
e-mail or phone is what billing to it means.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .names import drop_default_ignorables

# The order reasons are named in ("same email and phone").
DUPLICATE_KINDS = ("email", "phone", "site_address")
REASON_WORDS = {"email": "email", "phone": "phone", "site_address": "site address"}
# Street types written in full or abbreviated (Australia Post's abbreviations): "12 High
# Street" and "12 High St" are one address.
_STREET_TYPES = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "drive": "dr",
    "court": "ct",
    "place": "pl",
    "lane": "ln",
    "crescent": "cres",
    "parade": "pde",
    "highway": "hwy",
    "terrace": "tce",
    "boulevard": "blvd",
    "close": "cl",
    "circuit": "cct",
    "esplanade": "esp",
}
_NOT_WORD = re.compile(r"[^\w]+")

DuplicateKey = tuple[str, str]  # (kind, normalised value)


def email_key(email: Any) -> str | None:
    """The e-mail as duplicates and matching compare it: stripped and lower-cased (None: blank).

    The stored form keeps the local part's case (``normalize_email``); mailboxes are not
    told apart by case in practice, so comparing lower-cased finds the same person."""
    if not isinstance(email, str) or not email.strip():
        return None
    return drop_default_ignorables(email).strip().lower()


def address_key(address: Mapping[str, Any] | None) -> str | None:
    """Line 1 and postcode of an address as one comparable text, or None when either is missing.

    NFKC, case-folded, punctuation dropped, spaces collapsed and street types abbreviated
    ("12 High Street," and "12 high st" are one key); postcode spaces dropped.
    """
    if not isinstance(address, Mapping):
        return None
    line1, postcode = address.get("line1"), address.get("postcode")
    if not isinstance(line1, str) or not isinstance(postcode, str):
        return None
    return _address_text(line1, postcode)


# A record's keys are asked for by the duplicates check, its search terms and its stored
# keys in turn (and a file repeats a head office's address): each address is folded once.
@lru_cache(maxsize=4096)
def _address_text(line1: str, postcode: str) -> str | None:
    words = _words(line1)
    code = "".join(_words(postcode))
    if not words or not code:
        return None
    return " ".join(_STREET_TYPES.get(word, word) for word in words) + "|" + code


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", drop_default_ignorables(text)).casefold()
    return [w for w in _NOT_WORD.sub(" ", folded.replace("_", " ")).split() if w]


def phone_keys(record: Mapping[str, Any]) -> set[str]:
    """The customer's dialable numbers (``phone_e164``, ``mobile_e164``) that are set."""
    return {p for p in (record.get("phone_e164"), record.get("mobile_e164")) if p}


def duplicate_keys(record: Mapping[str, Any]) -> frozenset[DuplicateKey]:
    """Every (kind, value) by which ``record`` (a stored or prepared customer) may duplicate
    another: kinds from DUPLICATE_KINDS."""
    keys: set[DuplicateKey] = set()
    if email := email_key(record.get("email")):
        keys.add(("email", email))
    keys |= {("phone", number) for number in phone_keys(record)}
    if address := address_key(record.get("site_address")):
        keys.add(("site_address", address))
    return frozenset(keys)


@dataclass(frozen=True)
class PossibleDuplicate:
    """Another customer (or a row of a file, when ``of`` names it) sharing ``reasons``."""

    of: str  # a customer id, or what the caller indexed (a row's place in a file)
    reasons: tuple[str, ...]  # kinds from DUPLICATE_KINDS, in that order

    def describe(self, who: str) -> str:
        """'possibly the same as <who> (same phone)'; ``who`` as the reader knows it (C000123)."""
        words = [REASON_WORDS[r] for r in self.reasons]
        same = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        return f"possibly the same as {who} (same {same})"


def _billed_to(record: Mapping[str, Any]) -> str | None:
    return (record.get("billing") or {}).get("billing_customer_id")


def _related(record: Mapping[str, Any], other_id: str, other_billed_to: str | None) -> bool:
    """One bills to the other (a site and its billing customer)."""
    own = record.get("id")
    return other_id == _billed_to(record) or (own is not None and other_billed_to == own)


def _ordered(kinds: Iterable[str]) -> tuple[str, ...]:
    wanted = set(kinds)
    return tuple(kind for kind in DUPLICATE_KINDS if kind in wanted)


def possible_duplicates(
    record: Mapping[str, Any], candidates: Iterable[Mapping[str, Any]]
) -> list[PossibleDuplicate]:
    """The ``candidates`` (customer records) that share a key with ``record``, in the order
    given; ``record`` itself (same id) and a customer billing to it or billed by it are not."""
    own = duplicate_keys(record)
    found = []
    for candidate in candidates:
        if candidate.get("id") is not None and candidate.get("id") == record.get("id"):
            continue
        if _related(record, candidate["id"], _billed_to(candidate)):
            continue
        shared = {kind for kind, _ in own & duplicate_keys(candidate)}
        if shared:
            found.append(PossibleDuplicate(candidate["id"], _ordered(shared)))
    return found


class DuplicateIndex:
    """Many records by their duplicate keys, for a caller that checks one after another (an
    import: the register's customers, then each new row as it is decided)."""

    def __init__(self) -> None:
        self._holders: dict[DuplicateKey, list[str]] = {}
        self._order: dict[str, int] = {}  # holder → when first indexed
        self._billed_to: dict[str, str | None] = {}  # holder → its billing customer

    def add(self, holder: str, record: Mapping[str, Any]) -> None:
        """Index ``record`` under ``holder`` (an id, or a row's place in a file)."""
        self._order.setdefault(holder, len(self._order))
        self._billed_to[holder] = _billed_to(record)
        for key in duplicate_keys(record):
            holders = self._holders.setdefault(key, [])
            if holder not in holders:
                holders.append(holder)

    def find(
        self, record: Mapping[str, Any], *, exclude: str | None = None
    ) -> list[PossibleDuplicate]:
        """Holders sharing a key with ``record``, first indexed first; not ``exclude`` (itself),
        nor a holder indexed under the id ``record`` bills to, or billing to ``record``'s id."""
        reasons: dict[str, set[str]] = {}
        for kind, value in duplicate_keys(record):
            for holder in self._holders.get((kind, value), ()):
                if holder != exclude and not _related(record, holder, self._billed_to[holder]):
                    reasons.setdefault(holder, set()).add(kind)
        return [
            PossibleDuplicate(holder, _ordered(kinds))
            for holder, kinds in sorted(reasons.items(), key=lambda item: self._order[item[0]])
        ]
