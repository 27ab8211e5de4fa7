"""Proposing a column → field mapping for an own-format file from its headers and sample values."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from chalicelib.imports.catalog.definitions import ADDRESS_PART_COLUMNS, ADDRESS_SIDE_WORDS
from chalicelib.imports.catalog.fields import check_target, fields_for
from chalicelib.imports.catalog.model import CustomFieldLike, ImportField
from chalicelib.imports.read.headers import normalise_header

# The columns our error workbook adds (imports.report.error_workbook): they say why a row was
# not (fully) imported, so they neither feed a field nor take part in a header match.
ADDED_BY_ERROR_WORKBOOK = ("Error", "Warning")
FUZZY_CUTOFF = 86  # token_sort_ratio; below it a guess is weaker than leaving the column unmapped
CONFIDENCE = {"exact": 1.0, "synonym": 0.95, "values": 0.7}


@dataclass(frozen=True)
class ColumnSuggestion:
    """The proposal for one column; ``field`` is None when it stays unmapped (``note`` says why)."""

    column: int
    header: str
    field: str | None
    confidence: float
    reason: str  # exact | synonym | fuzzy | values when mapped; duplicate | ignored | none if not
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "header": self.header,
            "field": self.field,
            "confidence": round(self.confidence, 2),
            "reason": self.reason,
            "note": self.note,
        }


@dataclass(frozen=True)
class Suggestion:
    """Proposals for every column of one file and target."""

    target: str
    headers: list[str]
    columns: list[ColumnSuggestion]
    customer_label: str = "Customer"
    custom_fields: tuple[Any, ...] = field(default=())

    @property
    def unmapped(self) -> list[ColumnSuggestion]:
        return [c for c in self.columns if c.field is None]

    def field_of(self, header: str) -> str | None:
        return next((c.field for c in self.columns if c.header == header), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "columns": [c.to_dict() for c in self.columns],
            "unmapped": [c.column for c in self.unmapped],
        }


def suggest_mapping(
    headers: list[str],
    sample_rows: list[list[Any]],
    target: str = "customers",
    *,
    custom_fields: Iterable[CustomFieldLike] = (),
    customer_label: str = "Customer",
) -> Suggestion:
    """Propose a field per column: exact label, synonym, fuzzy match, then the values themselves.

    No two columns get one field: the most confident keeps it, the others stay unmapped.
    """
    check_target(target)
    custom_fields = tuple(custom_fields)
    fields = fields_for(target, customer_label, custom_fields)
    index = _Index(fields)
    index.property_list = _is_property_list(headers)
    candidates = []
    for column, effective in enumerate(_with_group_prefixes(headers)):
        values = [row[column] for row in sample_rows if column < len(row)]
        candidates.append(_suggest_column(column, headers[column], effective, values, index))
    _add_value_guesses(candidates, sample_rows, index)
    return Suggestion(
        target, list(headers), _resolve_conflicts(candidates), customer_label, custom_fields
    )


# -- header matching ------------------------------------------------------------------------

_SIDE_WORDS = {
    side: sorted((w for w in words if w), key=len, reverse=True)
    for side, words in ADDRESS_SIDE_WORDS.items()
}
_PART_WORDS = {
    part: {normalise_header(s) for s in syns} for part, (_, _, syns) in ADDRESS_PART_COLUMNS.items()
}
# With a side prefix, a bare number or a few more words name a part ("Bill to 1", "Billing Code").
_PART_WORDS["line1"] |= {"1", "street 1", "line 1"}
_PART_WORDS["line2"] |= {"2", "unit", "suite", "apt", "street 2"}
_PART_WORDS["postcode"] |= {"code"}

_PART_SINGLE_WORDS = {
    "line1": {"street"},
    "suburb": {"suburb", "city", "town", "locality"},
    "state": {"state", "region", "province", "territory"},
    "postcode": {"postcode", "zip", "zipcode"},
    "country": {"country"},
}
_NOT_ADDRESS_WORDS = {"name", "email", "phone", "mobile", "number", "id", "type", "notes"}

_IGNORED = re.compile(
    r"\b(fax|website|www|web|url|abn|acn|gst|tax|balance|credit limit|currency|bank|skype|"
    r"twitter|linkedin|facebook|created|modified|updated|last activity|discount|lat|latitude|"
    r"longitude|lng|salutation|picture|identifiers|custom list|custom field|tracking|industry|"
    r"revenue|employees|rating|ticker|ownership|sic|birth|opt out|lifecycle|lead status|tags?|"
    r"badges?|archived|active|status|alt|other|secondary|person \d+|line [3-9]|address [3-9]|"
    r"bill to [3-9]|ship to [3-9]|mi|mr ms)\b"
)
_GENERIC = re.compile(r"^(column|col|field|unnamed|untitled)( [a-z]{1,3}| \d+)?$|^[a-z]{1,2}$|^$")


class _Index:
    def __init__(self, fields: list[ImportField]) -> None:
        self.keys = {f.key for f in fields}
        self.exact: dict[str, str] = {}
        self.synonyms: dict[str, str] = {}
        for f in fields:
            self.exact.setdefault(normalise_header(f.label), f.key)
            self.exact.setdefault(normalise_header(f.key.replace(".", " ")), f.key)
        for f in fields:
            for synonym in f.synonyms:
                self.synonyms.setdefault(normalise_header(synonym), f.key)
        self.choices = {**{k: v for k, v in self.synonyms.items()}, **self.exact}
        self.property_list = False  # headers speak of tenants, agents, landlords (roles below)


@dataclass
class _Candidate:
    column: int
    header: str
    field: str | None
    confidence: float
    reason: str
    note: str = ""
    informative: bool = True


def _with_group_prefixes(headers: list[str]) -> list[str]:
    """MYOB writes "Addr 1 - Line 1" then "- Line 2": carry the group name to the continuations."""
    group = ""
    result = []
    for header in headers:
        text = re.sub(r"\s*\(\d+\)$", "", str(header or "")).strip()
        if text.startswith("-") and group:
            text = f"{group} {text.lstrip('- ')}"
        elif " - " in text:
            group = text.split(" - ", 1)[0].strip()
        else:
            group = ""
        result.append(text)
    return result


def _suggest_column(
    column: int, header: str, effective: str, values: list[Any], index: _Index
) -> _Candidate:
    text = normalise_header(effective)
    if header in ADDED_BY_ERROR_WORKBOOK:
        return _Candidate(column, header, None, 0.0, "ignored", "added by our error workbook")
    role = _role_reading(text, index)
    if role is not None:
        key, note = role
        if key is None:
            return _Candidate(column, header, None, 0.0, "ignored", note)
        return _Candidate(column, header, key, CONFIDENCE["synonym"], "synonym", note)
    match = _match_header(text, index)
    if match:
        key, confidence, reason = match
        return _Candidate(column, header, key, confidence, reason)
    for alternative in _entity_alternatives(effective):
        if alternative == "":
            return _Candidate(column, header, None, 0.0, "ignored", "describes another column")
        match = _match_header(alternative, index)
        if match:
            key, confidence, reason = match
            return _Candidate(column, header, key, confidence - 0.05, reason)
    if _GENERIC.match(text):
        return _Candidate(column, header, None, 0.0, "none", "header says nothing", False)
    if _IGNORED.search(text):
        return _Candidate(column, header, None, 0.0, "ignored", "not a Sitebook field")
    fuzzy = _fuzzy(text, index)
    if fuzzy:
        return _Candidate(column, header, fuzzy[0], fuzzy[1], "fuzzy")
    return _Candidate(column, header, None, 0.0, "none", "no field matches this header")


def _match_header(text: str, index: _Index) -> tuple[str, float, str] | None:
    if text in index.exact:
        return index.exact[text], CONFIDENCE["exact"], "exact"
    if text in index.synonyms:
        key = index.synonyms[text]
        return key, _synonym_confidence(key, text), "synonym"
    address = _address_field(text, index)
    if address:
        return address, _synonym_confidence(address, text) - 0.02, "synonym"
    # "Addr 2 - Email", "Contact Phone": a group word before a known header.
    for side, words in _SIDE_WORDS.items():
        for word in words:
            if text.startswith(word + " ") and text[len(word) + 1 :] in index.synonyms:
                rest = text[len(word) + 1 :]
                key = index.synonyms[rest]
                # "Addr 1 - Contact Name" is a person at that address, not the customer's name.
                if key == "name" or key.startswith(("site_address.", "billing_address.")):
                    continue
                penalty = 0.1 if side == "billing_address" else 0.05
                return key, _synonym_confidence(key, rest) - penalty, "synonym"
    if re.search(r"\b(notes?|comments?)$", text) and "notes" in index.keys:
        return "notes", CONFIDENCE["synonym"] - 0.1, "synonym"  # "Profile Notes", "Site Notes"
    return None


# Role words of property-management lists (PropertyMe, Console Cloud, strata registers): who a
# column is about. The occupant is the site's customer; the payer is its billing customer.
# Longest first, so "managing agent" is read before "agent".
OCCUPANT_ROLES = ("tenants", "tenant s", "tenant", "occupants", "occupant", "occupier", "resident")
PAYER_ROLES = (
    "owners corporation",
    "owners corp",
    "body corporate",
    "strata manager",
    "strata",
    "managing agent",
    "property manager",
    "agency",
    "agent",
    "landlord",
    "lessor",
)
# The property's owner pays through the agent in these lists: the owner's details belong to
# neither the row's customer nor its billing customer, so they stay unmapped.
OWNER_ROLES = ("owners", "owner")
# A payer role alone names the billing customer; these names are its contact, not the payer.
_PAYER_ALONE = {"strata manager": "billing.care_of"}
_REFERENCE_WORDS = {
    "ref",
    "reference",
    "ref number",
    "reference number",
    "number",
    "id",
    "code",
    "account",
    "account number",
    "plan",
    "plan number",
}
_PERSON_FIELDS = ("name", "first_name", "last_name", "phone", "mobile", "email")


def _role_reading(text: str, index: _Index) -> tuple[str | None, str] | None:
    """``(field or None, note)`` for a header led by a role word, else None (read it as usual).

    "Tenant Phone" → phone (the occupant is the customer); "Managing Agent" → billing_customer,
    "Agent Ref" → billing.account_number; "Landlord Email", "Owner Phone" → unmapped (the
    payer's or the owner's details are not this row's customer's).
    """
    role, rest = _leading(text, OCCUPANT_ROLES)
    if role:
        if rest in ("", "s", "name", "names", "full name"):
            key = "name" if "name" in index.keys else None
        else:
            match = _match_header(rest, index)
            key = match[0] if match and match[0] in _PERSON_FIELDS else None
        if key is None or key not in index.keys:
            return None
        return key, f"the {role}'s {rest or 'name'}: the occupant is the customer"
    role, rest = _leading(text, PAYER_ROLES)
    if role:
        if rest in ("", "name", "company", "business name"):
            key = _PAYER_ALONE.get(role, "billing_customer")
        elif rest in _REFERENCE_WORDS:
            key = "billing.account_number"
        elif rest in ("contact", "attention", "attn", "manager"):
            key = "billing.care_of"
        else:
            return None, f"the {role}'s {rest}: the payer's details are not this customer's"
        return (key, f"the {role} pays: its billing customer") if key in index.keys else None
    role, rest = _leading(text, OWNER_ROLES)
    # "Owner" alone is the record's owner (a user) in CRM exports; beside tenants and agents
    # it is the property's. "Owner Email" and the like are never the customer's.
    if role and ((not rest and index.property_list) or (rest and _match_header(rest, index))):
        return None, "the property's owner: not this row's customer"
    return None


def _is_property_list(headers: list[str]) -> bool:
    """True when some header is led by an occupant's or a payer's role word."""
    texts = [normalise_header(h) for h in headers]
    return any(_leading(t, OCCUPANT_ROLES + PAYER_ROLES)[0] for t in texts)


def _leading(text: str, roles: tuple[str, ...]) -> tuple[str, str]:
    """``(role, the rest)`` when ``text`` starts with one of ``roles`` as whole words."""
    for role in roles:
        if text == role or text.startswith(role + " "):
            return role, text[len(role) :].strip()
    return "", text


_SEGMENTS = re.compile(r"\s+-\s+|:\s+")


def _entity_alternatives(header: str) -> list[str]:
    """Other readings of "Entity - Field" headers (Pipedrive, Google, Dynamics exports).

    "Organization - Owner" → "owner"; "E-mail 1 - Value" → "email 1"; "Phone 1 - Type" → ""
    (a column describing another one). Address groups ("Addr 1 - …") are handled elsewhere.
    """
    segments = [s for s in _SEGMENTS.split(header) if s.strip()]
    if len(segments) < 2:
        return []
    group = normalise_header(segments[0])
    if any(group == w for words in _SIDE_WORDS.values() for w in words):
        return []
    last = normalise_header(segments[-1])
    if last in ("type", "label", "kind"):
        return [""]
    if last == "value":
        return [normalise_header(" ".join(segments[:-1]))]
    return [normalise_header(" ".join(segments[1:]))]


def _synonym_confidence(key: str, text: str) -> float:
    # Where a file has both "Suburb" and "City" (NZ style), the suburb is the one we keep.
    if key.endswith(".suburb") and re.search(r"\b(city|town)\b", text):
        return CONFIDENCE["synonym"] - 0.03
    return CONFIDENCE["synonym"]


def _address_field(text: str, index: _Index) -> str | None:
    side, rest = "site_address", text
    for candidate_side, words in _SIDE_WORDS.items():
        word = next((w for w in words if rest == w or rest.startswith(w + " ")), None)
        if word:
            side, rest = candidate_side, rest[len(word) :].strip()
            break
    else:
        if text in ("1", "2", "code"):
            return None
    rest = re.sub(r"^(address|addr)\b\s*", "", rest) or "address"
    for part, words in _PART_WORDS.items():
        if rest in words and f"{side}.{part}" in index.keys:
            if side == "site_address" and rest in ("1", "2", "code") and text == rest:
                return None
            return f"{side}.{part}"
    # Compound part names ("City/town/village/locality", "State/county"): one part's word.
    tokens = set(rest.split())
    hits = {part for part, words in _PART_SINGLE_WORDS.items() if tokens & words}
    ordinary = not tokens & _NOT_ADDRESS_WORDS and not _IGNORED.search(text)  # "Other City"
    if len(hits) == 1 and len(tokens) <= 4 and ordinary:
        key = f"{side}.{hits.pop()}"
        return key if key in index.keys else None
    return None


def _fuzzy(text: str, index: _Index) -> tuple[str, float] | None:
    from rapidfuzz import fuzz, process

    best = process.extractOne(
        text, list(index.choices), scorer=fuzz.token_sort_ratio, score_cutoff=FUZZY_CUTOFF
    )
    if not best:
        return None
    choice, score, _ = best
    return index.choices[choice], round(score / 100 * 0.9, 3)


# -- values ---------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
_AU_MOBILE = re.compile(r"^(?:\+?61|0)?4\d{8}$")
_PHONE = re.compile(r"^\+?\d{8,12}$")
_POSTCODE = re.compile(r"^\d{3,4}$")
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
_STREET = re.compile(
    r"^\d+[a-z]?(/\d+)?\s+.+\b(st|street|rd|road|ave|avenue|dr|drive|ct|court|pl|place|cres|"
    r"crescent|hwy|highway|pde|parade|tce|terrace|ln|lane|way|blvd|cl|close|cct|circuit|gr|grove)"
    r"\.?$",
    re.I,
)
AU_STATES = {"NSW", "VIC", "QLD", "SA", "WA", "TAS", "NT", "ACT"}
_SUBURB = re.compile(r"^[A-Za-z][A-Za-z .'-]{2,30}$")


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _share(values: list[Any], test: Any) -> float:
    filled = [v for v in values if _text(v)]
    if not filled:
        return 0.0
    return sum(1 for v in filled if test(v)) / len(filled)


def _value_kind(values: list[Any]) -> str | None:
    digits = lambda v: re.sub(r"[\s()-]", "", _text(v))  # noqa: E731
    if _share(values, lambda v: _EMAIL.match(_text(v))) >= 0.8:
        return "email"
    if _share(values, lambda v: _AU_MOBILE.match(digits(v))) >= 0.8:
        return "mobile"
    if _share(values, lambda v: _PHONE.match(digits(v))) >= 0.8:
        return "phone"
    if _share(values, lambda v: _text(v).upper() in AU_STATES) >= 0.8:
        return "state"
    if _share(values, lambda v: _POSTCODE.match(_text(v))) >= 0.8:
        return "postcode"
    if _share(values, lambda v: isinstance(v, date | datetime) or _DATE.match(_text(v))) >= 0.8:
        return "date"
    if _share(values, lambda v: _STREET.match(_text(v))) >= 0.6:
        return "street"
    if _share(values, lambda v: _SUBURB.match(_text(v))) >= 0.9:
        return "words"
    return None


def _add_value_guesses(
    candidates: list[_Candidate], sample_rows: list[list[Any]], index: _Index
) -> None:
    if not sample_rows:
        return
    kinds = [
        _value_kind([row[c.column] for row in sample_rows if c.column < len(row)])
        for c in candidates
    ]

    def near(i: int, *wanted: str) -> bool:
        return any(0 <= j < len(kinds) and kinds[j] in wanted for j in (i - 1, i + 1))

    simple = {
        "email": "email",
        "mobile": "mobile",
        "phone": "phone",
        "street": "site_address.line1",
    }
    for i, candidate in enumerate(candidates):
        if candidate.informative or candidate.field:
            continue
        kind, key, confidence = kinds[i], None, CONFIDENCE["values"]
        if kind in simple:
            key = simple[kind]
        elif kind == "state":
            key = "site_address.state"
        elif kind == "postcode" and near(i, "words", "state"):
            key = "site_address.postcode"
        elif kind == "words" and near(i, "state", "postcode"):
            key, confidence = "site_address.suburb", 0.6
        elif kind == "date":
            key, confidence = "installation_date", 0.5
        if key and key in index.keys:
            candidate.field, candidate.confidence = key, confidence
            candidate.reason, candidate.note = "values", f"values look like {kind}"


def _resolve_conflicts(candidates: list[_Candidate]) -> list[ColumnSuggestion]:
    taken: dict[str, _Candidate] = {}
    for candidate in sorted(
        (c for c in candidates if c.field), key=lambda c: (-c.confidence, c.column)
    ):
        owner = taken.get(candidate.field)  # type: ignore[arg-type]
        if owner is None:
            taken[candidate.field] = candidate  # type: ignore[index]
            continue
        candidate.note = (
            f"also looks like {candidate.field}, kept for column {owner.column + 1} "
            f"({owner.header!r}) which matches better"
        )
        candidate.field, candidate.confidence, candidate.reason = None, 0.0, "duplicate"
    return [
        ColumnSuggestion(c.column, c.header, c.field, c.confidence, c.reason, c.note)
        for c in candidates
    ]
