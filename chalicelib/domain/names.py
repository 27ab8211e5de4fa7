"""How a customer's display name is derived when none is given."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")


def derive_customer_name(
    name: str | None,
    company_name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> str | None:
    """The display name: ``name`` if given, else the company, else "first last".

    Whitespace is collapsed; None when every part is blank.
    """
    for candidate in (name, company_name):
        if text := _collapse(candidate):
            return text
    person = " ".join(part for part in (_collapse(first_name), _collapse(last_name)) if part)
    return person or None


def _collapse(value: str | None) -> str:
    return _SPACES.sub(" ", value or "").strip()
