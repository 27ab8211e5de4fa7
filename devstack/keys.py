"""The local dev key pair (under .local/, not in git) and Cognito-shaped ID tokens it signs."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = ROOT / ".local"
PRIVATE_KEY = LOCAL_DIR / "dev-key.pem"
PUBLIC_KEY = LOCAL_DIR / "dev-key.pub.pem"
ISSUER = AUDIENCE = "sitebook-local"


def ensure_key_pair(
    private_path: Path = PRIVATE_KEY, public_path: Path = PUBLIC_KEY
) -> tuple[Path, Path]:
    if private_path.exists() and public_path.exists():
        return private_path, public_path
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def mint_token(
    *,
    tenant: str,
    role: str = "admin",
    user: str | None = None,
    private_key: str | None = None,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    ttl: int = 12 * 3600,
    email: str | None = None,
    extra: dict | None = None,
) -> str:
    if private_key is None:
        ensure_key_pair()
        private_key = PRIVATE_KEY.read_text()
    now = int(time.time())
    claims = {
        "sub": user or f"{tenant}-{role}",
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl,
        "token_use": "id",
        "custom:tenant_id": tenant,
        "cognito:groups": ["admin"] if role == "admin" else [],
        "email": email or f"{role}@{tenant}.example",
        "jti": uuid.uuid4().hex,
        **(extra or {}),
    }
    return jwt.encode(claims, private_key, algorithm="RS256")
