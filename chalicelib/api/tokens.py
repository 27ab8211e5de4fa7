"""Verifying bearer tokens (Cognito-style RS256 ID tokens) and reading the caller from them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.settings import get_settings

if TYPE_CHECKING:  # PyJWT (and cryptography under it) loads with the first token verified
    import jwt

TENANT_CLAIM = "custom:tenant_id"
GROUPS_CLAIM = "cognito:groups"
ADMIN_GROUP = "admin"
_TENANT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class InvalidToken(Exception):
    """The token cannot be trusted; the reason is logged, never shown."""


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    user_id: str
    is_admin: bool
    email: str | None = None
    name: str | None = None
    client_id: str | None = None  # the app client that got the token, when the token says

    def requested_by(self) -> dict[str, str | None]:
        """Who asked for a piece of work, as records keep it: ``{sub, client_id, drop}``
        (``drop``, the S3 key of a partner's dropped file, is None for a token)."""
        return {"sub": self.user_id, "client_id": self.client_id, "drop": None}


@lru_cache(maxsize=4)
def _public_key(path: str) -> str:
    return Path(path).read_text()


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    import jwt

    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


def _signing_key(token: str):
    import jwt

    settings = get_settings()
    if settings.auth_jwks_url:
        try:
            return _jwks_client(settings.auth_jwks_url).get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as exc:
            raise InvalidToken(f"no signing key: {exc}") from exc
    if settings.auth_public_key_file:
        return _public_key(settings.auth_public_key_file)
    raise InvalidToken("no key is configured (AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE)")


def verify_token(token: str) -> Caller:
    """Check signature (RS256 only), issuer, audience and expiry; return who is calling."""
    import jwt

    settings = get_settings()
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256":
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        claims = jwt.decode(
            token,
            _signing_key(token),
            algorithms=["RS256"],
            audience=settings.auth_audience,
            issuer=settings.auth_issuer,
            leeway=30,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("token_use", "id") != "id":
        raise InvalidToken("only ID tokens are accepted")
    tenant_id = claims.get(TENANT_CLAIM)
    if not isinstance(tenant_id, str) or not _TENANT_ID.match(tenant_id):
        raise InvalidToken(f"{TENANT_CLAIM} is missing or malformed")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("sub is not a string")
    return Caller(
        tenant_id=tenant_id,
        user_id=subject,
        is_admin=ADMIN_GROUP in _groups(claims.get(GROUPS_CLAIM)),
        email=_optional_text(claims, "email"),
        name=_optional_text(claims, "name"),
        client_id=_optional_text(claims, "client_id"),
    )


def _groups(value: object) -> list[str]:
    """``cognito:groups`` as Cognito writes it: absent, or a list of group names.

    Anything else (a number, ``true``, an object, a list holding non-strings) is a token
    no identity provider of ours signs, so it is refused rather than guessed at: an
    object ``{"admin": 1}`` must not pass ``"admin" in groups``.
    """
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(group, str) for group in value):
        return value
    raise InvalidToken(f"{GROUPS_CLAIM} is not a list of group names")


def _optional_text(claims: dict, name: str) -> str | None:
    value = claims.get(name)
    if value is None or isinstance(value, str):
        return value or None
    raise InvalidToken(f"{name} is not a string")


def bearer_token(header_value: str | None) -> str:
    if not header_value:
        raise InvalidToken("no Authorization header")
    scheme, _, token = header_value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("the Authorization header is not 'Bearer <token>'")
    return token.strip()


def caller_to_context(caller: Caller) -> dict[str, str]:
    """Authorizer context values must be flat strings."""
    return {
        "tenant_id": caller.tenant_id,
        "user_id": caller.user_id,
        "is_admin": "true" if caller.is_admin else "false",
        "email": caller.email or "",
        "name": caller.name or "",
        "client_id": caller.client_id or "",
    }


def caller_from_context(context: dict | None) -> Caller | None:
    if not context or not context.get("tenant_id"):
        return None
    return Caller(
        tenant_id=context["tenant_id"],
        user_id=context.get("user_id") or context.get("principalId", ""),
        is_admin=str(context.get("is_admin")).lower() == "true",
        email=context.get("email") or None,
        name=context.get("name") or None,
        client_id=context.get("client_id") or None,
    )
