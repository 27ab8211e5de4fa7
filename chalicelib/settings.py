"""Configuration, read once from the environment (set per stage in .chalice/config.json)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    stage: str = "local"
    region: str = "ap-southeast-2"
    table_name: str = "sitebook-local"
    bucket_name: str = "sitebook-local"
    import_queue_url: str = ""
    # The import queue's dead-letter queue: the local pump reads it as Lambda's mapping would.
    import_dlq_url: str = ""
    # Set locally (and in tests) to reach the moto server; unset in AWS.
    aws_endpoint_url: str | None = None
    auth_issuer: str = "sitebook-local"
    auth_audience: str = "sitebook-local"
    # In AWS: the Cognito user pool's JWKS. Locally: the dev public key (PEM file).
    auth_jwks_url: str | None = None
    auth_public_key_file: str | None = None
    presign_seconds: int = 900
    max_upload_bytes: int = 25 * MIB
    max_uncompressed_bytes: int = 250 * MIB
    max_import_rows: int = 200_000
    log_level: str = "INFO"
    # Events and webhooks (chalicelib/events; docs/decisions/events.md).
    webhook_queue_url: str = ""
    webhook_dlq_url: str = ""
    webhook_retry_base_seconds: int = 30
    webhook_retry_cap_seconds: int = 12 * 3600  # SQS's longest visibility timeout
    webhook_retry_window_seconds: int = 24 * 3600
    webhook_timeout_seconds: int = 10
    events_settle_seconds: int = 5
    events_retention_days: int = 30
    # "api" (request paths: give up within seconds) or "worker" (imports: ride it out);
    # see chalicelib/aws.py and docs/decisions/platform.md.
    aws_retry_budget: str = "api"
    # Reference data kept per warm process (chalicelib/store/reference_cache.py); 0: none.
    reference_cache_seconds: int = 5
    # Workers one import's writes are spread over (imports/write/parts.py); 1: one worker
    # writes the groups in order, as before. See docs/decisions/import-write-scaling.md.
    import_write_concurrency: int = 1
    extra: dict = field(default_factory=dict)


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def load_settings() -> Settings:
    env = os.environ.get
    return Settings(
        stage=env("STAGE", "local"),
        region=env("AWS_REGION") or env("AWS_DEFAULT_REGION") or "ap-southeast-2",
        table_name=env("TABLE_NAME", "sitebook-local"),
        bucket_name=env("BUCKET_NAME", "sitebook-local"),
        import_queue_url=env("IMPORT_QUEUE_URL", ""),
        import_dlq_url=env("IMPORT_DLQ_URL", ""),
        aws_endpoint_url=env("AWS_ENDPOINT_URL") or None,
        auth_issuer=env("AUTH_ISSUER", "sitebook-local"),
        auth_audience=env("AUTH_AUDIENCE", "sitebook-local"),
        auth_jwks_url=env("AUTH_JWKS_URL") or None,
        auth_public_key_file=env("AUTH_PUBLIC_KEY_FILE") or None,
        presign_seconds=_int("PRESIGN_SECONDS", 900),
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 25 * MIB),
        max_uncompressed_bytes=_int("MAX_UNCOMPRESSED_BYTES", 250 * MIB),
        max_import_rows=_int("MAX_IMPORT_ROWS", 200_000),
        log_level=env("LOG_LEVEL", "INFO"),
        webhook_queue_url=env("WEBHOOK_QUEUE_URL", ""),
        webhook_dlq_url=env("WEBHOOK_DLQ_URL", ""),
        webhook_retry_base_seconds=_int("WEBHOOK_RETRY_BASE_SECONDS", 30),
        webhook_retry_cap_seconds=_int("WEBHOOK_RETRY_CAP_SECONDS", 12 * 3600),
        webhook_retry_window_seconds=_int("WEBHOOK_RETRY_WINDOW_SECONDS", 24 * 3600),
        webhook_timeout_seconds=_int("WEBHOOK_TIMEOUT_SECONDS", 10),
        events_settle_seconds=_int("EVENTS_SETTLE_SECONDS", 5),
        events_retention_days=_int("EVENTS_RETENTION_DAYS", 30),
        aws_retry_budget=env("AWS_RETRY_BUDGET", "api"),
        reference_cache_seconds=_int("REFERENCE_CACHE_SECONDS", 5),
        import_write_concurrency=max(1, _int("IMPORT_WRITE_CONCURRENCY", 1)),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()
