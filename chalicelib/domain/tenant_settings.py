"""A tenant's settings and their defaults (the reference market is Australian trades)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from .errors import FieldError, ValidationFailed
from .values import InvalidValue, normalize_country

DEFAULT_CUSTOMER_LABEL = "Customer"
DEFAULT_COUNTRY = "AU"
DATE_ORDERS = ("DMY", "MDY")


@dataclass(frozen=True)
class TenantSettings:
    customer_label: str = DEFAULT_CUSTOMER_LABEL
    default_country: str = DEFAULT_COUNTRY
    date_order: str = "DMY"
    version: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def prepare_settings(values: dict) -> dict:
    """The settings to store: ``default_country`` read as ISO 3166 alpha-2 ("Australia" → AU).

    Raises ValidationFailed (field ``default_country``) for a country it cannot read.
    """
    out = dict(values)
    try:
        out["default_country"] = normalize_country(values["default_country"])
    except InvalidValue as exc:
        raise ValidationFailed([FieldError("default_country", str(exc))]) from None
    return out


# "customer" as a word of a message, not inside an identifier (billing_customer_id) or a
# placeholder ({customer}).
_CUSTOMER_WORD = re.compile(r"(?<![\w{])([Cc])ustomer(s?)(?![\w}])")


def in_customer_words(text: str, customer_label: str | None) -> str:
    """``text`` with the word customer(s) in the tenant's word: "No client with that id."

    Capitalised where the original was; the plural adds "s" unless the label ends in one
    (the rule of the template's sheet title). The default label leaves ``text`` as it is.
    """
    label = (customer_label or "").strip() or DEFAULT_CUSTOMER_LABEL
    if label == DEFAULT_CUSTOMER_LABEL:
        return text
    plural = label if label.endswith("s") else f"{label}s"

    def word(match: re.Match) -> str:
        chosen = plural if match.group(2) else label
        if match.group(1) == "C" or chosen[:2].isupper():  # keep "NDIS participant" as is
            return chosen[0].upper() + chosen[1:]
        return chosen[0].lower() + chosen[1:]

    return _CUSTOMER_WORD.sub(word, text)
