"""AWS client factories: the one place boto3 clients are made, lazily and once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from chalicelib.settings import Settings, get_settings

# botocore's standard and adaptive modes sleep random() * min(2 ** (attempt - 1), 20) s
# between attempts (botocore/retries/standard.py, ExponentialBackoff).
_BACKOFF_BASE, _BACKOFF_CAP = 2, 20


@dataclass(frozen=True)
class RetryBudget:
    """How long one AWS call may take, retries included: what a caller can wait for."""

    attempts: int  # in total, the first one included
    mode: str  # botocore retry mode
    connect_timeout: float  # seconds
    read_timeout: float  # seconds

    def worst_case_seconds(self) -> float:
        """Every attempt timing out on connect and read, plus the longest backoff between."""
        backoff = sum(min(_BACKOFF_BASE**n, _BACKOFF_CAP) for n in range(self.attempts - 1))
        return self.attempts * (self.connect_timeout + self.read_timeout) + backoff


# Request paths answer inside API Gateway's 29 s: three attempts of at most 2 s, with at
# most 1 + 2 s of backoff, give up after 9 s. DynamoDB answers in milliseconds; a call that
# needs seconds is failing, and the client is better told (503, Retry-After) than kept waiting.
API_BUDGET = RetryBudget(attempts=3, mode="standard", connect_timeout=0.5, read_timeout=1.5)
# The import worker has 15 minutes and checkpoints: it rides out throttling at a slower pace.
WORKER_BUDGET = RetryBudget(attempts=9, mode="adaptive", connect_timeout=5, read_timeout=30)
# The local stage's API talks to one moto process on loopback, which answers in seconds, not
# milliseconds, while an import writes; nothing there waits on API Gateway's 29 s.
LOCAL_BUDGET = RetryBudget(attempts=3, mode="standard", connect_timeout=2, read_timeout=30)
_BUDGETS = {"api": API_BUDGET, "worker": WORKER_BUDGET, "local": LOCAL_BUDGET}


def retry_budget(settings: Settings | None = None) -> RetryBudget:
    """The budget of this process, by AWS_RETRY_BUDGET: ``api`` (default), ``worker``, ``local``."""
    settings = settings or get_settings()
    return _BUDGETS.get(settings.aws_retry_budget, API_BUDGET)


# botocore's default pool: enough for one import handler's row writes (ROW_WORKERS, 8, in
# imports/write/rows.py) and its ledger and counts.
_POOL_PER_HANDLER = 10


def pool_connections(settings: Settings) -> int:
    """Connections a client keeps open: botocore's 10 for each import handler the process may
    run at once. A Lambda runs one; the local pump runs IMPORT_WRITE_CONCURRENCY in threads
    sharing this process's clients, and with 10 in all their row writes kept opening and
    discarding connections ("Connection pool is full")."""
    return _POOL_PER_HANDLER * max(1, settings.import_write_concurrency)


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    settings = get_settings()
    budget = retry_budget()
    config = Config(
        retries={"total_max_attempts": budget.attempts, "mode": budget.mode},
        max_pool_connections=pool_connections(settings),
        connect_timeout=budget.connect_timeout,
        read_timeout=budget.read_timeout,
        signature_version="s3v4" if service == "s3" else None,
        s3={"addressing_style": "path"} if service == "s3" else None,
    )
    return boto3.session.Session().client(
        service,
        region_name=settings.region,
        endpoint_url=settings.aws_endpoint_url,
        config=config,
    )


def reset_clients() -> None:
    """Drop cached clients so the next call sees the current settings (tests, local stack)."""
    client.cache_clear()
