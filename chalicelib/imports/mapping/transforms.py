"""The transforms a mapping applies to one cell: a full name or a one-line address split up."""

from __future__ import annotations

import re

from chalicelib.domain.addresses import ADDRESS_PARTS

_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "dame", "fr"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "esq", "jnr", "snr", "oam", "am", "ao"}
_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "da",
    "di",
    "du",
    "del",
    "della",
    "la",
    "le",
    "st",
    "bin",
    "binti",
    "al",
    "el",
    "ter",
    "ten",
    "dos",
    "das",
    "mac",
}


def split_name(full: str) -> tuple[str, str]:
    """ "Dr John van der Berg" → ("John", "van der Berg"); "Smith, John" → ("John", "Smith")."""
    text = " ".join(str(full or "").split())
    if "," in text:
        last, _, first = text.partition(",")
        last_words = [w for w in last.split() if w.strip(".").lower() not in _HONORIFICS]
        first_words = [
            w for w in first.split() if w.strip(".").lower() not in _HONORIFICS | _SUFFIXES
        ]
        return " ".join(first_words), " ".join(last_words)
    words = [w for w in text.split() if w.strip(".").lower() not in _HONORIFICS]
    while len(words) > 1 and words[-1].strip(".").lower() in _SUFFIXES:
        words.pop()
    if len(words) <= 1:
        return (words[0] if words else ""), ""
    start = len(words) - 1
    # Particles belong to the family name: walk back over them ("van der Berg").
    while start > 1 and words[start - 1].lower() in _PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


_AU_STATES = {
    "NSW": "NSW",
    "NEW SOUTH WALES": "NSW",
    "VIC": "VIC",
    "VICTORIA": "VIC",
    "QLD": "QLD",
    "QUEENSLAND": "QLD",
    "SA": "SA",
    "SOUTH AUSTRALIA": "SA",
    "WA": "WA",
    "WESTERN AUSTRALIA": "WA",
    "TAS": "TAS",
    "TASMANIA": "TAS",
    "NT": "NT",
    "NORTHERN TERRITORY": "NT",
    "ACT": "ACT",
    "AUSTRALIAN CAPITAL TERRITORY": "ACT",
}
_COUNTRIES = {
    "australia": "AU",
    "new zealand": "NZ",
    "nz": "NZ",
    "usa": "US",
    "us": "US",
    "united states": "US",
    "united states of america": "US",
}
_STATE_NAMES = "|".join(sorted((re.escape(s) for s in _AU_STATES), key=len, reverse=True))
_AU_TAIL = re.compile(
    rf"^(?P<rest>.*?)[\s,]+(?P<state>{_STATE_NAMES})\.?[\s,]+(?P<pc>\d{{4}})$", re.I
)
_US_TAIL = re.compile(r"^(?P<rest>.*?)[\s,]+(?P<state>[A-Z]{2})[\s,]+(?P<pc>\d{5}(?:-\d{4})?)$")
_PC_TAIL = re.compile(r"^(?P<rest>.*?)[\s,]+(?P<pc>\d{4})$")
_STREET_TYPE = re.compile(
    r"^(.*\b(?:st|street|rd|road|ave|avenue|dr|drive|ct|court|pl|place|cres|crescent|hwy|highway|"
    r"pde|parade|tce|terrace|ln|lane|way|blvd|boulevard|cl|close|cct|circuit|gr|grove|esp|"
    r"esplanade|sq|square|bvd)\.?)\s+(.+)$",
    re.I,
)


def split_address(text: str) -> dict[str, str]:
    """ "12 Smith St, Richmond VIC 3121" → line1, suburb, state, postcode (AU first; NZ, US too).

    Parts not found are left out; text that fits no pattern comes back whole as ``line1``.
    """
    address = " ".join(str(text or "").replace("\n", ", ").split()).strip(" ,")
    result: dict[str, str] = {}
    lowered = address.lower()
    for name, code in sorted(_COUNTRIES.items(), key=lambda kv: -len(kv[0])):
        if lowered.endswith(name) and (
            len(lowered) == len(name) or lowered[-len(name) - 1] in " ,"
        ):
            result["country"] = code
            address = address[: -len(name)].strip(" ,")
            break
    match = _AU_TAIL.match(address)
    if match:
        result.update(state=_AU_STATES[match["state"].upper()], postcode=match["pc"])
    elif (match := _US_TAIL.match(address)) and result.get("country") in (None, "US"):
        result.update(state=match["state"], postcode=match["pc"])
    elif match := _PC_TAIL.match(address):
        result["postcode"] = match["pc"]
    rest = match["rest"].strip(" ,") if match else address
    segments = [s.strip() for s in rest.split(",") if s.strip()]
    if match and len(segments) >= 2:
        result["suburb"] = segments.pop()
    elif match and segments:
        street = _STREET_TYPE.match(segments[0])
        if street:
            segments = [street.group(1)]
            result["suburb"] = street.group(2)
        elif not re.search(r"\d", segments[0]):
            result["suburb"] = segments.pop()
    if segments:
        result["line1"] = segments[0]
    if len(segments) > 1:
        result["line2"] = ", ".join(segments[1:])
    return {k: result[k] for k in ADDRESS_PARTS if result.get(k)}
