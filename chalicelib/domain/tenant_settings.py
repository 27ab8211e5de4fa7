"""A tenant's settings and their defaults (the reference market is Australian trades)."""

from __future__ import annotations

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
