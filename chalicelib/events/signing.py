"""Webhook signatures: ``Sitebook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=…]``.

The signed message is ``"<t>.<body>"`` and the key the subscription's secret (its UTF-8
bytes, ``whsec_`` prefix included), as Stripe does. During a rotation's overlap the header
carries one ``v1`` per valid secret; a receiver accepts the delivery if any matches.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "Sitebook-Signature"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_: list[str], body: bytes, timestamp: int | None = None) -> str:
    """The header value for ``body`` signed with each secret (current first)."""
    t = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={t}", *(f"v1={signature(s, t, body)}" for s in secrets_)])


def verify(
    secret: str, header: str, body: bytes, *, tolerance: int = TOLERANCE_SECONDS, now=None
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of now."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    t = int(stamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = signature(secret, t, body)
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
