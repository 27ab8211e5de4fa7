"""Value rules shared by the HTTP API and the spreadsheet importer: text, email, phone, dates."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .names import drop_default_ignorables


class InvalidValue(ValueError):
    """A value that cannot be used; the message is short and lacks the field name,
    which the caller adds (``FieldError(field, str(error))``)."""


# ---------------------------------------------------------------- text

_SPACES = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[^\S\n]+")  # whitespace other than newline
_BLANK_LINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_blank(value: Any) -> bool:
    """True for None and whitespace-only strings: the cells and fields that mean "no value"."""
    return value is None or (isinstance(value, str) and not value.strip())


def name_key(name: str) -> str:
    """The key names match on: NFKC, case-folded, invisible (default-ignorable) characters
    dropped, whitespace runs collapsed, stripped."""
    folded = drop_default_ignorables(unicodedata.normalize("NFKC", name).casefold())
    return _SPACES.sub(" ", folded).strip()


def clean_text(value: Any, *, max_length: int = 500, multiline: bool = False) -> str | None:
    """Text as stored: None for blank, trimmed, whitespace runs collapsed to one space,
    invisible (default-ignorable) characters dropped, so what is stored is what people see.

    With ``multiline`` (notes) line breaks survive, and so do zero-width joiners and
    variation selectors, which emoji in free text need: spaces collapse within each line
    and more than one empty line in a row shrinks to one. Numbers from spreadsheets
    become their written form (``123.0`` → ``"123"``), booleans Excel's ``TRUE``/``FALSE``,
    dates ISO 8601. Longer than ``max_length`` characters → InvalidValue.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int | float):
        text = _number_text(value)
    elif isinstance(value, date):  # datetime included
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    else:
        raise InvalidValue("is not text")
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    if multiline:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        text = "\n".join(_LINE_SPACES.sub(" ", line).strip() for line in lines)
        text = _BLANK_LINES.sub("\n\n", text).strip()
    else:
        text = _SPACES.sub(" ", drop_default_ignorables(text)).strip()
    if not text:
        return None
    if len(text) > max_length:
        raise InvalidValue(f"is too long: at most {max_length} characters, got {len(text)}")
    return text


def _number_text(value: int | float) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue("is not a finite number")
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _digits_of_number(value: int | float) -> str:
    """The digits of a whole number a spreadsheet stored as a number (a phone, a postcode)."""
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise InvalidValue("must be written without a decimal part")
    if value < 0:
        raise InvalidValue("must not be negative")
    return str(int(value))


# ---------------------------------------------------------------- email


def normalize_email(value: Any) -> str:
    """The address in normalized form (domain lower-cased, Unicode normalized).

    Syntax only: no DNS lookup, so it is fast, works offline and never depends on a
    customer's mail server being up. InvalidValue carries the library's reason.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("is not a valid email address: it is empty")
    address, refusal = _read_email(value)
    if address is None:
        raise InvalidValue(refusal)
    return address


# Sites billed to one property manager repeat its accounts address row after row: each
# distinct value is validated once per process, its answer or refusal kept.
@lru_cache(maxsize=4096)
def _read_email(value: str) -> tuple[str | None, str]:
    """normalize_email's reading: (the normalized address, "") or (None, why it is refused)."""
    from email_validator import EmailNotValidError, validate_email

    text = drop_default_ignorables(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    try:
        return validate_email(text, check_deliverability=False).normalized, ""
    except EmailNotValidError as error:
        reason = str(error).strip().rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        return None, f"is not a valid email address: {reason}"


# ---------------------------------------------------------------- phone


@dataclass(frozen=True)
class Phone:
    """A phone number as people wrote it (``display``) and as machines dial it (``e164``)."""

    display: str
    e164: str


# Australian national significant numbers are nine digits; landlines (2, 3, 7, 8) and
# mobiles (4) lose their trunk 0 when a spreadsheet stores them as numbers.
_AU_LOST_ZERO = re.compile(r"^[23478]\d{8}$")
# 6.14123E+10 (or 6,14123E+10 where the decimal mark is a comma): what Excel shows, and saves
# to CSV, for a long number in a General column.
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?\s*[eE]\s*[+-]?\d+$")


def parse_phone(value: Any, default_country: str) -> Phone:
    """Parse a phone number read in ``default_country`` (ISO alpha-2) unless it starts with ``+``.

    Numbers from spreadsheets (``412345678.0``) are read as digits, restoring the
    leading 0 of Australian numbers; their display is then the national format.

    A number is accepted when it is *possible* (a complete number of the right length for
    its country, libphonenumber's ``IS_POSSIBLE``), not only when it is *valid*: carriers
    open new ranges faster than the metadata learns them (e.g. AU mobiles 0443…), and a
    real customer's number must never be refused for that. Impossible numbers (too short,
    too long, a local number without its area code, not digits), and numbers that a
    spreadsheet turned into scientific notation (``6.14123E+10``, whose lost digits are not
    guessed) → InvalidValue saying which.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidValue("is not a phone number")
    read = _read_phone(value, (default_country or "").upper() or None)
    if isinstance(read, str):
        raise InvalidValue(read)
    phone, parsed = read
    _remember(phone.e164, parsed)
    return phone


# A file repeats numbers (an office's line on each of its contacts, a head office on each of
# its sites): each distinct value is read once per process, its answer or refusal kept.
@lru_cache(maxsize=4096, typed=True)
def _read_phone(value: str | int | float, region: str | None) -> tuple[Phone, _Parsed] | str:
    """parse_phone's reading: (the phone, its parse) or why it is refused."""
    import phonenumbers

    from_number = not isinstance(value, str)
    if from_number:
        text = _digits_of_number(value)
        if region == "AU" and _AU_LOST_ZERO.match(text):
            text = "0" + text
    else:
        text = _SPACES.sub(" ", value).strip()
    if not text:
        return "is not a phone number: it is empty"
    if _SCIENTIFIC.match(text):
        return (
            "is in scientific notation, so its last digits are lost: format the column "
            "as text in the spreadsheet, type the number again and export again"
        )

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return "is not a phone number"
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return "is not a whole phone number: add its area code"
    # A number is valid when its type is known (libphonenumber's is_valid_number is exactly
    # number_type != UNKNOWN); the type is kept, so the area code is found without asking again.
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return "is not a phone number: it has the wrong number of digits"
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN and not _fits_a_national_format(number):
        return "is not a phone number: it has the wrong number of digits"

    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if from_number:
        display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    else:
        display = text
    return Phone(display=display, e164=e164), _Parsed(number, kind)


@dataclass(frozen=True)
class _Parsed:
    """A number parse_phone accepted and its libphonenumber type."""

    number: Any
    kind: int


# The numbers parse_phone parsed last, by E.164: a row's search terms and duplicate keys read
# its phones again right after it was validated (domain.search.phone_terms), and parsing and
# typing are libphonenumber's dearest steps, so each value is parsed and typed once per row.
# Bounded: an import streams its rows, so only the last few are ever asked for again.
_PARSED: dict[str, _Parsed] = {}
_PARSED_MAX = 256


def _remember(e164: str, parsed: _Parsed) -> None:
    if len(_PARSED) >= _PARSED_MAX:
        del _PARSED[next(iter(_PARSED))]  # the oldest (dicts keep insertion order)
    _PARSED[e164] = parsed


def parsed_e164(e164: str) -> Any:
    """The libphonenumber number of a stored E.164 phone: the one parse_phone just made for it,
    else parsed now. Raises phonenumbers.NumberParseException for text that is not a number."""
    parsed = _PARSED.get(e164)
    if parsed is not None:
        return parsed.number
    import phonenumbers

    return phonenumbers.parse(e164, None)


def area_code_length(e164: str) -> int:
    """The length of a stored E.164 phone's geographical area code (0: none, or a mobile's).

    libphonenumber's ``length_of_geographical_area_code`` (the rule and its two country lists
    are its own), given the number's type when parse_phone just found it: the library's
    function asks for the number's region and type again, twice, which costs more than
    parsing it. Raises phonenumbers.NumberParseException for text that is not a number.
    """
    import phonenumbers
    from phonenumbers import PhoneMetadata, PhoneNumberType, phonenumberutil

    parsed = _PARSED.get(e164)
    number = parsed.number if parsed is not None else phonenumbers.parse(e164, None)
    region = phonenumbers.region_code_for_number(number)
    metadata = PhoneMetadata.metadata_for_region(region, None)
    if metadata is None:
        return 0
    kind = parsed.kind if parsed is not None else phonenumbers.number_type(number)
    country = number.country_code
    if (
        metadata.national_prefix is None
        and not number.italian_leading_zero
        and country not in phonenumberutil._COUNTRIES_WITHOUT_NATIONAL_PREFIX_WITH_AREA_CODES
    ):
        return 0
    if (
        kind == PhoneNumberType.MOBILE
        and country in phonenumberutil._GEO_MOBILE_COUNTRIES_WITHOUT_MOBILE_AREA_CODES
    ):
        return 0
    if not phonenumbers.is_number_type_geographical(kind, country):
        return 0
    # length_of_national_destination_code: the first group after the country code in the
    # international format (with a mobile token, the token's group as well).
    if number.extension is not None:
        copied = phonenumbers.PhoneNumber()
        copied.merge_from(number)
        copied.extension, number = None, copied
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    groups = re.split(phonenumberutil.NON_DIGITS_PATTERN, formatted)
    if len(groups) <= 3:
        return 0
    if kind == PhoneNumberType.MOBILE and phonenumbers.country_mobile_token(country):
        return len(groups[2]) + len(groups[3])
    return len(groups[2])


def _fits_a_national_format(number: Any) -> bool:
    """Whether the number has the length its leading digits call for in its country.

    A country's length range alone is too wide (AU's 5 to 12 digits let "0412 345" pass),
    so this asks the metadata's own national formats: some format whose leading-digits
    pattern matches the number's start must match the whole number (AU mobiles, leading 4,
    are ``(\\d{3})(\\d{3})(\\d{3})``). That holds for ranges opened after the metadata.
    """
    import phonenumbers
    from phonenumbers import PhoneMetadata

    region = phonenumbers.region_code_for_country_code(number.country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, region)
    if metadata is None:
        return False
    national = phonenumbers.national_significant_number(number)
    for fmt in metadata.number_format:
        leading = fmt.leading_digits_pattern
        if leading and not re.match(leading[-1], national):
            continue
        if re.fullmatch(fmt.pattern, national):
            return True
    return False


# ---------------------------------------------------------------- dates

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 onwards; Excel pretends 1900 was a leap year
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
    "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_WEEKDAYS = re.compile(
    r"^(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|nesday|sday|urday)?\b[,.]?\s*"
)
_TRAILING_TIME = re.compile(
    r"(?:\s+|(?<=\d)t)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:am|pm)?\s*(?:z|[+-]\d{2}:?\d{2})?$"
)
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})$")
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b")


def parse_date(value: Any, date_order: str = "DMY") -> date:
    """Read a date from a date object, an Excel serial number or text.

    Text may be ISO ``2024-03-05`` (a time part is ignored), ``05/03/2024`` with ``/``,
    ``-`` or ``.`` and two- or four-digit years, or carry a month name (``5 Mar 2024``,
    ``March 5, 2024``, ``05-Mar-24``). Numeric day and month are read in ``date_order``
    (``DMY`` or ``MDY``) unless one of them is above 12, which settles the order.
    Two-digit years 00–68 are 2000–2068, 69–99 are 1969–1999 (the POSIX rule).
    Excel serials use the 1900 date system; their fraction (the time) is ignored.
    """
    if date_order not in ("DMY", "MDY"):
        raise ValueError(f"date_order must be DMY or MDY, not {date_order!r}")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_excel_serial(value)
    if not isinstance(value, str):
        raise _not_a_date(date_order)
    text = _SPACES.sub(" ", value).strip().lower()
    text = _TRAILING_TIME.sub("", text).strip()
    parts = _read_date_text(text, date_order)
    if parts is None:
        raise _not_a_date(date_order)
    year, month, day = parts
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidValue(f"is not a real date: {value.strip()} has no such day") from None


def _from_excel_serial(value: int | float) -> date:
    if not math.isfinite(value):
        raise InvalidValue("is not a date")
    serial = int(value)
    if not 1 <= serial <= _EXCEL_MAX_SERIAL:
        raise InvalidValue(f"is not a date: {serial} is outside the range of spreadsheet dates")
    if serial == 60:
        raise InvalidValue("is not a real date: 29 February 1900 did not exist")
    if serial < 60:
        return _EXCEL_EPOCH + timedelta(days=serial + 1)
    return _EXCEL_EPOCH + timedelta(days=serial)


def _read_date_text(text: str, date_order: str) -> tuple[int, int, int] | None:
    if match := _YEAR_FIRST.match(text):
        return int(match[1]), int(match[2]), int(match[3])
    if match := _NUMERIC.match(text):
        first, second = int(match[1]), int(match[3])
        day, month = _day_and_month(first, second, date_order)
        return _full_year(match[4]), month, day
    return _read_month_name(text)


def _day_and_month(first: int, second: int, date_order: str) -> tuple[int, int]:
    if first > 12 >= second:
        return first, second
    if second > 12 >= first:
        return second, first
    return (first, second) if date_order == "DMY" else (second, first)


def _read_month_name(text: str) -> tuple[int, int, int] | None:
    text = _WEEKDAYS.sub("", text)
    text = _ORDINAL.sub("", text)
    tokens = [t for t in re.split(r"[\s,/.\-]+", text) if t]
    if len(tokens) != 3:
        return None
    months = [i for i, t in enumerate(tokens) if t in _MONTHS]
    if len(months) != 1 or not all(t.isdigit() for i, t in enumerate(tokens) if i != months[0]):
        return None
    month = _MONTHS[tokens[months[0]]]
    if months[0] == 0:  # March 5, 2024
        day, year = tokens[1], tokens[2]
    elif months[0] == 1 and len(tokens[0]) == 4:  # 2024 Mar 05
        year, day = tokens[0], tokens[2]
    elif months[0] == 1:  # 5 Mar 2024
        day, year = tokens[0], tokens[2]
    else:
        return None
    if len(day) > 2 or len(year) not in (2, 4):
        return None
    return _full_year(year), month, int(day)


def _full_year(year: str) -> int:
    if len(year) == 4:
        return int(year)
    short = int(year)
    return 2000 + short if short <= 68 else 1900 + short


def _not_a_date(date_order: str) -> InvalidValue:
    numeric = "DD/MM/YYYY" if date_order == "DMY" else "MM/DD/YYYY"
    return InvalidValue(f"is not a date: use YYYY-MM-DD, {numeric} or 5 Mar 2024")


# ---------------------------------------------------------------- booleans and numbers

_TRUE = {"true", "yes", "y", "1", "on", "t"}
_FALSE = {"false", "no", "n", "0", "off", "f"}


def parse_bool(value: Any) -> bool:
    """True/false from a bool, 0 or 1, or text: true/false, yes/no, y/n, t/f, 1/0, on/off."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise InvalidValue("is not yes or no: use true/false, yes/no or 1/0")


_MONEY = re.compile(r"^(?P<sign>[+-]?)\s*\$?\s*(?P<sign2>[+-]?)(?P<body>[\d,.]+)$")
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")


def parse_number(value: Any) -> int | float:
    """A finite number from a number or text, as int when it is whole (``"12.0"`` → 12).

    Text may carry a sign, a leading ``$`` (``"$12"``, ``"-$1,234.50"``) and commas
    between groups of three digits; Decimals (DynamoDB's numbers) are read too.
    A ``%`` is refused rather than guessed at: in a spreadsheet "12%" may mean 12 or
    0.12, so the field's own unit must be used. Exponents, spaces inside the number
    and decimal commas are refused too.
    """
    if isinstance(value, bool):
        raise InvalidValue("is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):  # how DynamoDB hands numbers back
        if not value.is_finite():
            raise InvalidValue("is not a finite number")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue("is not a finite number")
        return int(value) if value.is_integer() else value
    if not isinstance(value, str):
        raise InvalidValue("is not a number")
    text = value.strip()
    if text.endswith("%"):
        raise InvalidValue("is not a number: write it without the % sign")
    match = _MONEY.match(text)
    if not match or (match["sign"] and match["sign2"]) or not _NUMBER.match(match["body"]):
        raise InvalidValue("is not a number")
    sign = "-" if "-" in (match["sign"], match["sign2"]) else ""
    body = match["body"].replace(",", "")
    if "." in body:
        number = float(sign + body)
        return int(number) if number.is_integer() else number
    return int(sign + body)


def parse_int(value: Any) -> int:
    """A whole number, read as ``parse_number`` does; ``2.5`` → InvalidValue."""
    number = parse_number(value)
    if isinstance(number, float):
        raise InvalidValue("is not a whole number")
    return number


# ---------------------------------------------------------------- countries and postcodes

_COUNTRY_NAMES = {
    "australia": "AU", "aus": "AU", "commonwealth of australia": "AU",
    "new zealand": "NZ", "nzl": "NZ", "aotearoa": "NZ", "aotearoa new zealand": "NZ",
    "united kingdom": "GB", "uk": "GB", "gbr": "GB", "great britain": "GB", "britain": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "united kingdom of great britain and northern ireland": "GB",
    "united states": "US", "united states of america": "US", "usa": "US", "america": "US",
    "canada": "CA", "can": "CA",
    "ireland": "IE", "republic of ireland": "IE", "eire": "IE", "irl": "IE",
    "south africa": "ZA", "rsa": "ZA", "zaf": "ZA",
    "singapore": "SG", "sgp": "SG",
    "papua new guinea": "PG", "png": "PG", "fiji": "FJ", "samoa": "WS", "tonga": "TO",
    "vanuatu": "VU", "solomon islands": "SB", "new caledonia": "NC", "cook islands": "CK",
    "india": "IN", "china": "CN", "hong kong": "HK", "japan": "JP", "south korea": "KR",
    "korea": "KR", "taiwan": "TW", "philippines": "PH", "indonesia": "ID", "malaysia": "MY",
    "thailand": "TH", "vietnam": "VN", "viet nam": "VN", "sri lanka": "LK",
    "united arab emirates": "AE", "uae": "AE", "germany": "DE", "france": "FR",
    "italy": "IT", "spain": "ES", "netherlands": "NL", "holland": "NL",
    "the netherlands": "NL", "greece": "GR", "portugal": "PT", "switzerland": "CH",
}  # fmt: skip


def normalize_country(value: Any) -> str:
    """An ISO 3166-1 alpha-2 code, upper-case, from a code or a common name or alias.

    Codes are those the phone metadata knows (every country with a telephone plan);
    names cover the reference market's usual spellings ("Australia", "UK", "USA", …).
    """
    import phonenumbers

    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("is not a country")
    text = value.strip()
    if len(text) == 2 and text.isalpha() and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    key = name_key(re.sub(r"[.()]", "", text)).removeprefix("the ")
    if key in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[key]
    raise InvalidValue(
        f"is not a country: use an ISO 3166 two-letter code such as AU, not {text!r}"
    )


_POSTCODE_WIDTH = {"AU": 4, "NZ": 4, "US": 5}
_US_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")


def normalize_postcode(value: Any, country: str) -> str:
    """A postcode as text for ``country`` (alpha-2).

    AU and NZ postcodes are four digits, US ZIP codes five or ZIP+4 (``12345-6789``);
    leading zeros a spreadsheet dropped are restored (``800`` → ``"0800"`` in AU) for
    numbers and for digit-only text of at least three digits. Elsewhere the postcode
    is free text of at most 12 characters, upper-cased (``sw1a 1aa`` → ``"SW1A 1AA"``).
    """
    country = (country or "").upper()
    width = _POSTCODE_WIDTH.get(country)
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = _digits_of_number(value)
    elif isinstance(value, str):
        text = _SPACES.sub(" ", value).strip().upper()
    else:
        raise InvalidValue("is not a postcode")
    if not text:
        raise InvalidValue("is not a postcode: it is empty")
    if width is None:
        if len(text) > 12:
            raise InvalidValue("is not a postcode: at most 12 characters")
        return text
    if text.isdigit() and 3 <= len(text) < width:
        text = text.zfill(width)
    if country == "US":
        if text.isdigit() and 6 <= len(text) < 9:
            text = text.zfill(9)  # a ZIP+4 stored as a number lost its leading zeros
        if match := _US_ZIP.match(text):
            return match[1] + (f"-{match[2]}" if match[2] else "")
        raise InvalidValue("is not a US ZIP code: use 5 digits or ZIP+4 (12345-6789)")
    if len(text) == width and text.isdigit():
        return text
    raise InvalidValue(f"is not a postcode: {country} postcodes are {width} digits")
