"""What a customer is found by in ``GET /v1/customers?q=``, and how a query is read.

A customer's **terms** are two sets of folded words (case and accents ignored):
``match``, every word a query word may be the prefix of, and ``indexed``, the few of them
that get an entry of their own in the search index. A word needs no entry when the
name index already finds it (a prefix of the customer's sort key: the name's leading
words) or when another entry starts with it (a query for "smith" finds the entry
"smith@acme.com" by prefix). Variants are not stored: the query is normalised instead
(phone forms, customer number forms), so one phone is one entry and a customer number
none (it is looked up through its uniqueness claim).

The same entries answer ``GET /v1/customers/{id}/duplicates``: every duplicate key of a
customer (``domain.duplicates``) has a **key word** that is always indexed, never left out
as covered — its e-mail, each phone's entry, and its site address as one word led by the
postcode ("3053 12 high st"), which is the postcode's entry too. Customers sharing a key
share its word, so they are one prefix Query away.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .duplicates import DuplicateKey, duplicate_keys, email_key
from .names import drop_default_ignorables
from .values import area_code_length, parsed_e164

MAX_TOKEN_LENGTH = 40
MAX_QUERY_WORDS = 8
MIN_PHONE_DIGITS = 3  # digits a query needs to be read as a phone number too
_WORD = re.compile(r"[^\W_]+")
_PHONE_LIKE = re.compile(r"^[\d\s+().\-/]+$")
_CUSTOMER_NUMBER = re.compile(r"^c(\d+)$")
_SPACES = re.compile(r"\s+")
_NOT_DIGITS = re.compile(r"\D+")
_STREET_NUMBER = re.compile(r"\d{1,4}[a-z]?")
# Words too common to lead a search; still matched when a query gives another word.
STOP_WORDS = frozenset(
    {"the", "and", "of", "co", "pty", "ltd", "limited", "inc", "llc", "plc", "trust", "for"}
)
# Street types and unit words of an address line: matched, never an entry of their own.
ADDRESS_WORDS = frozenset(
    {
        *("st", "street", "rd", "road", "ave", "av", "avenue", "dr", "drive", "ct", "court"),
        *("pl", "place", "cres", "crescent", "cr", "hwy", "highway", "ln", "lane", "tce"),
        *("terrace", "pde", "parade", "bvd", "blvd", "boulevard", "way", "cl", "close"),
        *("cct", "circuit", "sq", "square", "gr", "grove", "esp", "esplanade", "unit", "shop"),
        *("level", "lvl", "suite", "po", "box"),
    }
)


@dataclass(frozen=True)
class SearchTerms:
    """The words a record is found by, each at most 40 characters: ``indexed`` are match
    words or key words (``duplicate_word``), and a key word starts with a match word."""

    indexed: frozenset[str]
    match: frozenset[str]


@dataclass(frozen=True)
class QueryOption:
    """One reading of a query. A customer matches it when every one of ``words`` is the prefix
    of one of its match words; candidates are found under ``leads`` (prefixes of index entries
    and of sort keys) or, for ``number``, by the customer number's claim."""

    words: tuple[str, ...]
    leads: tuple[str, ...]
    number: str | None = None


def fold(text: str) -> str:
    """``text`` as search and sorting compare it: NFKC, case-folded, accents and invisible
    characters dropped ("Ángel" → "angel")."""
    if text.isascii():  # nothing to decompose, compose or drop: only the case folds
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", drop_default_ignorables(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", bare.casefold())


def sort_key(name: str) -> str:
    """The key lists and search results are sorted by: the folded name, spaces collapsed, so
    "Ángel Ávila" sorts among the A's. It is also the prefix the name index is searched by."""
    return _SPACES.sub(" ", fold(name)).strip()


def format_customer_number(sequence: int) -> str:
    """The generated number of the ``sequence``-th customer: C000001, …, C999999, C1000000."""
    return f"C{sequence:06d}"


# ---------------------------------------------------------------- what a record is found by


def customer_search_terms(record: Mapping[str, Any]) -> SearchTerms:
    """The terms of a customer record (API shape; phones read from ``*_e164``).

    Found by: the words of its name, company name and person's names (a punctuated word
    also joined: "O'Brien" → "o", "brien", "obrien"); its email whole and the local part's
    words; each phone's national number (a landline's entry is its local number without
    area code, and both forms match); its customer number (match only: the claim finds it);
    its site address' street, suburb and postcode (street numbers and street types match
    only); its billing account number. Indexed besides: the key word of each of its
    duplicate keys (``duplicate_word``).
    """
    keys = {duplicate_word(key) for key in duplicate_keys(record)}
    return _terms(*_customer_words(record), covered=sort_key(record.get("name") or ""), keys=keys)


def customer_match_words(record: Mapping[str, Any]) -> frozenset[str]:
    """The match words of a customer record, as ``customer_search_terms(record).match`` (the
    same function makes both) without the indexed words and duplicate keys: what a search
    checks a customer it read against, at a fraction of the cost."""
    return _match(_customer_words(record)[1])


def former_indexed_words(record: Mapping[str, Any]) -> frozenset[str]:
    """The words a customer had entries for before key words were indexed (its duplicate
    keys had items of their own): what ``search_reindex`` deletes when they are not
    indexed now."""
    return _terms(*_customer_words(record), covered=sort_key(record.get("name") or "")).indexed


def duplicate_word(key: DuplicateKey) -> str:
    """The indexed word of a duplicate key (kind, value from ``domain.duplicates``): the
    folded e-mail; a phone's entry (``phone_terms``); a site address as its postcode, a
    space and its line 1 ("3053 12 high st"), so it is the postcode's entry as well.

    Two keys may share a word (accents folded, a landline's area code left out, cut at 40
    characters): the customers found by it are candidates, the rule decides."""
    kind, value = key
    if kind == "phone":
        return phone_terms(value)[0][:MAX_TOKEN_LENGTH]
    if kind == "site_address":
        line, _, code = value.rpartition("|")
        return fold(f"{code} {line}")[:MAX_TOKEN_LENGTH]
    return fold(value)[:MAX_TOKEN_LENGTH]


def _customer_words(record: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """(the words that may lead, every match word) of a customer."""
    match: set[str] = set()
    leadable: set[str] = set()
    for field in ("name", "company_name", "first_name", "last_name"):
        words = _name_words(record.get(field))
        match |= words
        leadable |= words - STOP_WORDS
    email = email_key(record.get("email"))
    if email:
        address = fold(email)
        local = address.partition("@")[0]
        words = {address, local, *_WORD.findall(local)}
        match |= words
        leadable |= words
    for phone in (record.get("phone_e164"), record.get("mobile_e164")):
        if phone:
            entry, forms = phone_terms(phone)
            match |= forms
            leadable.add(entry)
    number = record.get("customer_number")
    if number:
        match.add(fold(number.strip()))
    address = record.get("site_address") or {}
    for field in ("line1", "line2"):
        words = _name_words(address.get(field))
        match |= words
        leadable |= {w for w in words if w not in ADDRESS_WORDS and not _is_street_number(w)}
    for field in ("suburb", "postcode"):
        words = _name_words(address.get(field))
        match |= words
        leadable |= words
    account = (record.get("billing") or {}).get("account_number")
    if account:
        words = _name_words(account) | {"".join(_WORD.findall(fold(account)))}
        match |= words
        leadable |= words
    return leadable, match


def contact_search_terms(contact: Mapping[str, Any]) -> SearchTerms:
    """The terms of a contact: its first and last names. Its entries point to its customer."""
    words: set[str] = set()
    for field in ("first_name", "last_name"):
        words |= _name_words(contact.get(field))
    return _terms(words, words)


def _terms(
    leadable: set[str], match: set[str], covered: str = "", keys: Iterable[str] = ()
) -> SearchTerms:
    cut = {w[:MAX_TOKEN_LENGTH] for w in leadable if w}
    # An entry is redundant when a longer entry (or the sort key) starts with it; key words
    # are always kept, because the duplicates lookup reads them by their whole word.
    kept: list[str] = sorted({k for k in keys if k})
    for word in sorted(cut - set(kept), key=len, reverse=True):
        if covered.startswith(word) or any(other.startswith(word) for other in kept):
            continue
        kept.append(word)
    return SearchTerms(frozenset(kept), _match(match))


def _match(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w[:MAX_TOKEN_LENGTH] for w in words if w)


def _name_words(text: str | None) -> set[str]:
    words: set[str] = set()
    for chunk in fold(text or "").split():
        parts = _WORD.findall(chunk)
        words.update(parts)
        if len(parts) > 1:
            words.add("".join(parts))
    return words


def _is_street_number(word: str) -> bool:
    # "12", "12a", "3b": a house number narrows nothing on its own.
    return bool(_STREET_NUMBER.fullmatch(word))


@lru_cache(maxsize=4096)
def phone_terms(e164: str) -> tuple[str, frozenset[str]]:
    """(the entry, every matched form) of a stored E.164 phone.

    The national significant number ("+61391234567" → "391234567") is matched; a
    landline's entry is its local number without the area code ("91234567"), matched
    too, because office staff often type it alone; a mobile's entry is the national number.
    Cached: storing a record over its previous version reads both versions' phones.
    """
    import phonenumbers

    digits = _NOT_DIGITS.sub("", e164)
    try:
        number = parsed_e164(e164)  # parse_phone's own parse when it just validated it
    except phonenumbers.NumberParseException:
        return digits, frozenset({digits})  # a stored phone we cannot re-read matches its digits
    national = phonenumbers.national_significant_number(number)
    area = area_code_length(e164)
    if area:
        return national[area:], frozenset({national, national[area:]})
    return national, frozenset({national})


# ---------------------------------------------------------------- how a query is read


def parse_query(q: str | None, country: str = "AU") -> list[QueryOption]:
    """The readings of a user's query (empty for a blank one); a customer matching any is found.

    Words are folded like terms. An "@" makes the query one email word. A customer number
    is read as "C000002", "C2" or "000002" (six digits with leading zeros), never from a bare
    "2". Words lead by length, the two longest (a contact's name may go with its customer's).
    Digits with phone punctuation are read as typed and as a national number: the
    trunk prefix ("0412…" → "412…") or the country code ("+61 412…", "61412…") dropped,
    with ``country`` (ISO alpha-2) deciding which.
    """
    text = (q or "").strip()
    if not text:
        return []
    if "@" in text:
        word = _SPACES.sub("", fold(text))[:MAX_TOKEN_LENGTH]
        return [QueryOption((word,), (word,))]
    digits = "".join(c for c in text if c.isdigit())
    if _PHONE_LIKE.match(text) and len(digits) >= MIN_PHONE_DIGITS:
        return _digit_options(text, digits, country)
    words = [_query_word(w) for w in _WORD.findall(fold(text))]
    unique = tuple(dict.fromkeys(w[:MAX_TOKEN_LENGTH] for w in words if w))[:MAX_QUERY_WORDS]
    if not unique:
        return []
    numbers = [w for w in unique if _CUSTOMER_NUMBER.match(w)]
    leads = [w for w in unique if w not in numbers]
    if not leads:
        return [QueryOption(unique, (), numbers[0].upper())]
    preferred = [w for w in leads if w not in STOP_WORDS] or leads
    # The two longest words lead: one may be a contact's name, the other its customer's.
    return [QueryOption(unique, tuple(sorted(preferred, key=len, reverse=True)[:2]))]


def _query_word(word: str) -> str:
    found = _CUSTOMER_NUMBER.match(word)
    return fold(format_customer_number(int(found.group(1)))) if found else word


def _digit_options(text: str, digits: str, country: str) -> list[QueryOption]:
    options = [QueryOption((digits,), (digits,))]
    if len(digits) == 6 and digits.startswith("0"):
        number = format_customer_number(int(digits))
        options.append(QueryOption((fold(number),), (), number))
    for calling_code, national in _national_forms(text, digits, country):
        if national and national != digits:
            leads = (national, *_local_number(calling_code, national))
            options.append(QueryOption((national,), tuple(dict.fromkeys(leads))))
    return options


def _national_forms(text: str, digits: str, country: str) -> list[tuple[int, str]]:
    """(calling code, national number prefix) readings of digits typed as a phone."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country.upper())
    international = text.lstrip().startswith("+") or digits.startswith("00")
    if international:
        rest = (
            digits[2:] if digits.startswith("00") and not text.lstrip().startswith("+") else digits
        )
        for size in (1, 2, 3):
            code = int(rest[:size] or 0)
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                # "0011" is not +1 1: under MIN_PHONE_DIGITS after the code, a lead of a
                # digit or two would read half the register, and find no one by phone.
                national = rest[size:]
                return [(code, national)] if len(national) >= MIN_PHONE_DIGITS else []
        return []
    if metadata is None:
        return []
    forms = []
    trunk = metadata.national_prefix or ""
    if trunk and digits.startswith(trunk):
        forms.append((metadata.country_code, digits[len(trunk) :]))
    code = str(metadata.country_code)
    if digits.startswith(code) and len(digits) >= len(code) + 8:
        forms.append((metadata.country_code, digits[len(code) :]))
    return forms


def _local_number(calling_code: int, national: str) -> tuple[str, ...]:
    """The local part of a (possibly partial) landline number: the form its entry has.

    The area code's length comes from the number padded to a full one with zeros.
    """
    import phonenumbers

    region = phonenumbers.region_code_for_country_code(calling_code)
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    width = len(phonenumbers.national_significant_number(example)) if example else len(national)
    padded = national.ljust(width, "0")
    try:
        number = phonenumbers.parse(f"+{calling_code}{padded}", None)
    except phonenumbers.NumberParseException:
        return ()
    if not phonenumbers.is_valid_number(number):
        return ()
    area = phonenumbers.length_of_geographical_area_code(number)
    return (national[area:],) if area and len(national) > area else ()


def matches(match: Iterable[str], words: Iterable[str]) -> bool:
    """True when every query word is the prefix of one of ``match``."""
    match = list(match)
    return all(any(token.startswith(word) for token in match) for word in words)
