"""A tenant's settings and their defaults (the reference market is Australian trades)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

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
