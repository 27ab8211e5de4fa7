"""Normalisation of the postal addresses customers carry (site and billing)."""

from __future__ import annotations

from typing import Any

from .errors import FieldError, ValidationFailed
from .values import (
    InvalidValue,
    clean_text,
    is_blank,
    name_key,
    normalize_country,
    normalize_postcode,
    parse_number,
)

# The parts of an address people write (and a file's address column is split into), in order.
ADDRESS_PARTS = ("line1", "line2", "suburb", "state", "postcode", "country")
ADDRESS_FIELDS = (*ADDRESS_PARTS, "latitude", "longitude")
# The two addresses a customer carries, as record attributes.
ADDRESS_SIDES = ("site_address", "billing_address")
_TEXT_LIMITS = {"line1": 200, "line2": 200, "suburb": 100, "state": 100}

AU_STATES = {
    "NSW": "New South Wales",
    "VIC": "Victoria",
    "QLD": "Queensland",
    "SA": "South Australia",
    "WA": "Western Australia",
    "TAS": "Tasmania",
    "NT": "Northern Territory",
    "ACT": "Australian Capital Territory",
}
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
    "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip
_STATE_CODES = {
    country: {name_key(code): code for code in states}
    | {name_key(name): code for code, name in states.items()}
    for country, states in (("AU", AU_STATES), ("US", US_STATES))
}


def normalize_address(
    data: dict[str, Any] | None, *, default_country: str, prefix: str = ""
) -> dict[str, Any] | None:
    """The address in stored form: every field present (None when blank), or None if empty.

    An address with none of line1, line2, suburb, state, postcode, latitude or
    longitude is empty (a country alone says nothing). Otherwise the country defaults
    to ``default_country``; AU and US states become their short codes; postcodes follow
    the country's rules. Every bad field is reported at once in ValidationFailed, each
    named ``<prefix>.<field>`` (just ``<field>`` without a prefix).
    """
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError(prefix or "address", "must be an object")])

    errors: list[FieldError] = []

    def path(field: str) -> str:
        return f"{prefix}.{field}" if prefix else field

    errors += [
        FieldError(path(str(key)), "is not an address field")
        for key in data
        if key not in ADDRESS_FIELDS
    ]
    present = {key: value for key, value in data.items() if key in ADDRESS_FIELDS}
    if all(is_blank(present.get(key)) for key in ADDRESS_FIELDS if key != "country"):
        if errors:
            raise ValidationFailed(errors)
        return None

    address: dict[str, Any] = dict.fromkeys(ADDRESS_FIELDS)
    country_known = True
    try:
        raw_country = present.get("country")
        address["country"] = normalize_country(
            default_country if is_blank(raw_country) else raw_country
        )
    except InvalidValue as error:
        errors.append(FieldError(path("country"), str(error)))
        country_known = False
    country = address["country"] or ""

    for field, limit in _TEXT_LIMITS.items():
        try:
            address[field] = clean_text(present.get(field), max_length=limit)
        except InvalidValue as error:
            errors.append(FieldError(path(field), str(error)))
    if address["state"] and country in _STATE_CODES:
        try:
            address["state"] = _state_code(address["state"], country)
        except InvalidValue as error:
            errors.append(FieldError(path("state"), str(error)))

    if not is_blank(present.get("postcode")):
        try:
            address["postcode"] = normalize_postcode(
                present["postcode"], country if country_known else ""
            )
        except InvalidValue as error:
            errors.append(FieldError(path("postcode"), str(error)))

    for field, limit in (("latitude", 90), ("longitude", 180)):
        if is_blank(present.get(field)):
            continue
        try:
            address[field] = _coordinate(present[field], limit)
        except InvalidValue as error:
            errors.append(FieldError(path(field), str(error)))

    if errors:
        raise ValidationFailed(errors)
    return address


def _state_code(state: str, country: str) -> str:
    code = _STATE_CODES[country].get(name_key(state.replace(".", "")))
    if code is None:
        if country == "AU":
            raise InvalidValue(
                "is not an Australian state or territory: use " + ", ".join(AU_STATES)
            )
        raise InvalidValue("is not a US state: use its two-letter code such as CA or NY")
    return code


def _coordinate(value: Any, limit: int) -> float:
    number = float(parse_number(value))
    if not -limit <= number <= limit:
        raise InvalidValue(f"must be between -{limit} and {limit}")
    return number
