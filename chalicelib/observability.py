"""Logs and metrics: Powertools' Logger (JSON lines) and Metrics (CloudWatch EMF), in one place.

Modules log through the standard library (``logging.getLogger("sitebook.<area>")``, cheap at
import); those loggers propagate to "sitebook", whose one handler is Powertools' JSON
formatter, so every line carries the keys set here (request_id, tenant_id, import_id).
Powertools loads with the first handler call, not at app import (issue 14.9). Metrics go out
as EMF on stdout, which CloudWatch turns into metrics without an API call; each handler
flushes what it recorded (docs/decisions/observability.md lists the keys and metric names).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.logging import Logger
    from aws_lambda_powertools.metrics import Metrics

SERVICE = "sitebook"
NAMESPACE = "Sitebook"
# Keys that belong to one request or message: cleared before the next one sets its own.
CONTEXT_KEYS = ("request_id", "tenant_id", "import_id", "export_id")


@lru_cache(maxsize=1)
def logger() -> Logger:
    """The "sitebook" logger with Powertools' JSON handler (level from LOG_LEVEL)."""
    from aws_lambda_powertools.logging import Logger

    return Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL", "INFO"))


@lru_cache(maxsize=1)
def metrics() -> Metrics:
    """The process's EMF metrics: namespace Sitebook, dimensions service and stage."""
    from aws_lambda_powertools.metrics import Metrics

    from chalicelib.settings import get_settings

    recorder = Metrics(namespace=NAMESPACE, service=SERVICE)
    recorder.set_default_dimensions(stage=get_settings().stage)
    return recorder


def log_context(**keys: Any) -> None:
    """Start a request's or message's log context: these keys (None ones left out) on every
    line until the next call; keys of the previous context are dropped."""
    log = logger()
    log.remove_keys(list(CONTEXT_KEYS))
    log.append_keys(**{k: v for k, v in keys.items() if v is not None})


def add_log_keys(**keys: Any) -> None:
    """Add keys to the current context (an import id learnt while handling a message)."""
    logger().append_keys(**{k: v for k, v in keys.items() if v is not None})


def count(name: str, value: float, unit: str = "Count") -> None:
    """Record metric ``name`` (units as CloudWatch names them: Count, Seconds, Milliseconds)."""
    metrics().add_metric(name=name, unit=unit, value=value)


def flush_metrics() -> None:
    """Print what was recorded as one EMF line; nothing (and no warning) when nothing was."""
    recorder = metrics()
    if recorder.provider.metric_set:
        recorder.flush_metrics()
