"""The environment the in-process benches run the app in: moto (patched as devstack patches
it), fake credentials, the dev key pair for tokens, and no endpoint (moto intercepts)."""

from __future__ import annotations

import os


def in_process_environment(**extra: str):
    """Set the environment for the app against in-process moto; returns the dev key pair
    ``(private, public)`` (devstack.keys.ensure_key_pair) for minting tokens. ``extra``:
    more variables, e.g. TABLE_NAME."""
    from devstack import moto_patch
    from devstack.keys import ensure_key_pair

    moto_patch.apply()
    private, public = ensure_key_pair()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="ap-southeast-2",
        AWS_REGION="ap-southeast-2",
        STAGE="test",
        AUTH_PUBLIC_KEY_FILE=str(public),
        AUTH_ISSUER="sitebook-local",
        AUTH_AUDIENCE="sitebook-local",
        **extra,
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    return private, public
