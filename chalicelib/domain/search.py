"""The tokens a customer is indexed under and a search query is split into, for prefix search."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .names import drop_default_ignorables

MAX_TOKEN_LENGTH = 40
MAX_QUERY_TOKENS = 8
_WORD = re.compile(r"[^\W_]+")
_PHONE_LIKE = re.compile(r"^[\d\s+().\-/]+$")


def search_tokens(
    *,
    name: str | None,
    company_name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    phones: Iterable[str] = (),
    customer_number: str | None = None,
) -> set[str]:
    """Every token a customer can be found by (each at most 40 characters).

    Names give their words, folded (case and accents: "José" → "jose"), and each
    punctuated word joined ("O'Brien" → "o", "brien", "obrien"). An email gives
    itself, its local part and the local part's words. A phone (E.164) gives its
    digits with and without the national trunk prefix ("+61412345678" → "61412345678",
    "0412345678"). A customer number gives itself and its digits ("C000123" →
    "c000123", "000123", "123").
    """
    tokens: set[str] = set()
    for text in (name, company_name, first_name, last_name):
        if text:
            tokens |= _name_tokens(text)
    if email:
        address = _fold(email.strip())
        local = address.partition("@")[0]
        tokens |= {address, local, *_WORD.findall(local)}
    for phone in phones:
        tokens |= _phone_tokens(phone)
    if customer_number:
        number = _fold(customer_number.strip())
        digits = "".join(re.findall(r"\d", number))
        tokens |= {number, digits, digits.lstrip("0")}
    return {token[:MAX_TOKEN_LENGTH] for token in tokens if token}


def query_tokens(q: str) -> list[str]:
    """The tokens of a user's query, longest first (the most selective one leads).

    A customer matches when every query token is the prefix of one of its tokens, so
    "smi" finds "John Smith" and "Smithfield Plumbing". A query with an "@" is one
    email token; one made only of digits and phone punctuation is one digit token
    ("0412 345 678" → "0412345678"). At most eight tokens are kept.
    """
    text = (q or "").strip()
    if not text:
        return []
    if "@" in text:
        found = [re.sub(r"\s+", "", _fold(text))]
    elif _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 3:
        found = ["".join(c for c in text if c.isdigit())]
    else:
        found = _WORD.findall(_fold(text))
    unique = list(dict.fromkeys(token[:MAX_TOKEN_LENGTH] for token in found if token))
    return sorted(unique, key=len, reverse=True)[:MAX_QUERY_TOKENS]


def matches_query(tokens: Iterable[str], query: list[str]) -> bool:
    """True when every query token is a prefix of one of the customer's tokens."""
    tokens = list(tokens)
    return all(any(token.startswith(part) for token in tokens) for part in query)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", drop_default_ignorables(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", bare.casefold())


def _name_tokens(text: str) -> set[str]:
    tokens: set[str] = set()
    for chunk in _fold(text).split():
        words = _WORD.findall(chunk)
        tokens.update(words)
        if len(words) > 1:
            tokens.add("".join(words))
    return tokens


def _phone_tokens(e164: str) -> set[str]:
    digits = "".join(c for c in e164 if c.isdigit())
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return {digits}  # a stored phone we cannot re-read still indexes its digits
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    significant = phonenumbers.national_significant_number(number)
    tokens = {digits, "".join(c for c in national if c.isdigit()), significant}
    # Office staff type a landline without its area code ("9123 4567" for 02 9123 4567).
    area = phonenumbers.length_of_geographical_area_code(number)
    if area:
        tokens.add(significant[area:])
    return tokens
