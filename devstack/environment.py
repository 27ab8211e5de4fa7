"""The environment of the local processes: the local stage of .chalice/config.json plus loopback."""

from __future__ import annotations

import json
from pathlib import Path

from devstack.keys import PUBLIC_KEY, ROOT

CONFIG = ROOT / ".chalice" / "config.json"


def stage_environment(stage: str = "local") -> dict[str, str]:
    config = json.loads(CONFIG.read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def local_environment(
    *, moto_port: int, queue_url: str = "", public_key: Path = PUBLIC_KEY
) -> dict:
    env = stage_environment("local")
    env.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{moto_port}",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_REGION=env.get("AWS_DEFAULT_REGION", "ap-southeast-2"),
        AUTH_PUBLIC_KEY_FILE=str(public_key),
        IMPORT_QUEUE_URL=queue_url,
        PYTHONUNBUFFERED="1",
    )
    return env
