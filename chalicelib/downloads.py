"""Presigned S3 links the API hands out: downloads named safely, and when links expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.file_names import content_disposition


def link_expiry(extra_seconds: int = 0, timespec: str = "seconds") -> str:
    """When a link made now stops working (plus ``extra_seconds`` of grace): ISO 8601 UTC,
    to ``timespec`` ("seconds" or "milliseconds"), ``Z``."""
    from chalicelib.settings import get_settings

    when = datetime.now(UTC) + timedelta(seconds=get_settings().presign_seconds + extra_seconds)
    return when.isoformat(timespec=timespec).replace("+00:00", "Z")


def download_url(key: str, file_name: str | None = None) -> str:
    """A presigned GET of ``key`` in the bucket, valid for PRESIGN_SECONDS.

    With ``file_name`` the download is an attachment of that name (``content_disposition``:
    an ASCII ``filename`` and a UTF-8 ``filename*``), whatever characters the user's name held.
    """
    from chalicelib import aws
    from chalicelib.settings import get_settings

    settings = get_settings()
    params: dict[str, Any] = {"Bucket": settings.bucket_name, "Key": key}
    if file_name:
        params["ResponseContentDisposition"] = content_disposition(file_name)
    return aws.client("s3").generate_presigned_url(
        "get_object", Params=params, ExpiresIn=settings.presign_seconds
    )
