"""Reference data (lookups, users, custom fields, settings) kept per warm process for seconds.

A POST of a customer checks its references against the tenant's lookups, users, custom fields
and settings: read each time, that is six of its nine DynamoDB round trips (issue 12.5). They
change rarely and a few seconds of staleness is harmless, so each is read at most once per
``REFERENCE_CACHE_SECONDS`` (default 5) per process and tenant. A write of reference data
through this process forgets the tenant's entries at once, so the request that creates a
lookup (or the next request in the same Lambda) can use it immediately; a lookup created
through another Lambda may be refused as unknown for up to that many seconds
(docs/decisions/platform.md). Values kept must be immutable (frozensets, tuples, frozen
dataclasses): callers share them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from chalicelib.settings import get_settings

T = TypeVar("T")

# (table, tenant, what) → (read at, monotonic seconds; value)
_entries: dict[tuple[str, str, str], tuple[float, object]] = {}


def cached(tenant_id: str, what: str, load: Callable[[], T]) -> T:
    """``load()``'s value for ``(tenant_id, what)``, read again once it is older than the TTL.

    ``what`` names the data (``"lookups:payment-terms"``, ``"users"``); ``load`` must return
    an immutable value. With ``REFERENCE_CACHE_SECONDS=0`` every call reads.
    """
    settings = get_settings()
    key = (settings.table_name, tenant_id, what)
    now = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and now - hit[0] < settings.reference_cache_seconds:
        return hit[1]  # type: ignore[return-value]
    value = load()
    _entries[key] = (now, value)
    return value


def forget(tenant_id: str) -> None:
    """Drop every entry of ``tenant_id``: called by each write of its reference data."""
    for key in [key for key in _entries if key[1] == tenant_id]:
        _entries.pop(key, None)


def clear() -> None:
    """Drop every entry (tests, and a store re-bound to another table)."""
    _entries.clear()
