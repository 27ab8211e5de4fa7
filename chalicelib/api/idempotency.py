"""Idempotency-Key on POST: the first answer replayed, through Powertools' idempotency utility.

The behaviour table and the reasons are in docs/decisions/idempotency.md. Powertools is
imported only when a request carries the header, so a cold start without it pays nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from chalice import Response

from chalicelib.api.problems import PROBLEM_TYPE, problem_body, problem_for
from chalicelib.domain.errors import BadRequest, DomainError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255  # Stripe's limit; a UUID v4 is what clients are told to send
KEEP_SECONDS = 24 * 3600
# The API function's lambda_timeout (.chalice/config.json), for when no Lambda context is
# at hand: a request holding a key longer than its function may live has died.
FALLBACK_TIMEOUT_MS = 30_000
# The table's TTL attribute (infra/resources.json); epoch seconds, as DynamoDB TTL wants.
TTL_ATTRIBUTE = "expires_at"
PARTITION_SUFFIX = "#IDEMPOTENCY"
SORT_PREFIX = "IDEMPOTENCY"
# Only the headers that describe the answer are kept; X-Request-Id and the like are new
# on every request (the middleware adds them after this module has answered).
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
ERRORS = (409, 422)

# The tenant whose partition the persistence layer writes in, for the request on this
# thread (chalice local serves requests on threads; Lambda one at a time).
_tenant: ContextVar[str] = ContextVar("idempotency_tenant")


class _NotKept(Exception):  # noqa: N818 - a signal to Powertools, not an error
    """A response that must not be replayed: Powertools deletes the record when this is raised."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(response["status"])
        self.response = response


def idempotency_key(request: Any) -> str | None:
    """The request's Idempotency-Key, or None when absent.

    Raises BadRequest when present but empty, longer than 255 characters or not printable
    ASCII (a header value cannot carry more without encoding).
    """
    value = (request.headers or {}).get(HEADER.lower())
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_KEY_LENGTH or not value.isprintable() or not value.isascii():
        raise BadRequest(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters; "
            "send a new random UUID for each new request."
        )
    return value


def answer_once(request: Any, tenant_id: str, key: str, run: Callable[[], Response]) -> Response:
    """Run ``run`` once per (tenant, method, route, key) within 24 hours and replay its answer.

    ``run`` gives the route's Response. A repeat with the same body gets the first status,
    body and kept headers, plus ``Idempotent-Replayed: true``; another body is a 422, a
    repeat while the first is still running a 409. 5xx and 409 answers are not kept, so the
    key may be retried (docs/decisions/idempotency.md). Raises what ``run`` raises other than
    responses, and Powertools' IdempotencyPersistenceLayerError when DynamoDB fails.
    """
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from chalicelib import aws
    from chalicelib.settings import get_settings

    def kept_or_not(identity: dict[str, Any]) -> dict[str, Any]:  # Powertools hashes identity
        try:
            response = as_record(run())
        except DomainError as exc:  # a 4xx the route decided is an answer like any other
            response = as_record(problem_for(exc))
        if response["status"] >= 500 or response["status"] == 409:
            raise _NotKept(response)
        return response

    config = IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="payload",
        expires_after_seconds=KEEP_SECONDS,
        hash_function="sha256",
        lambda_context=getattr(request, "lambda_context", None) or _FallbackContext(),
        response_hook=lambda response, _record: {**response, "replayed": True},
    )
    once = idempotent_function(
        kept_or_not,
        data_keyword_argument="identity",
        persistence_store=_persistence(get_settings().table_name, aws.client("dynamodb")),
        config=config,
        key_prefix=SORT_PREFIX,
    )
    token = _tenant.set(tenant_id)
    try:
        answer = once(identity=_identity(request, tenant_id, key))
    except _NotKept as not_kept:
        return as_response(not_kept.response)
    except IdempotencyValidationError:
        return _problem(
            422,
            "idempotency-key-reused",
            "Idempotency key reused",
            f"This {HEADER} was used in the last 24 hours with a different request. "
            "Send a new key for a new request.",
        )
    except IdempotencyAlreadyInProgressError:
        return _problem(
            409,
            "idempotency-key-in-use",
            "Request in progress",
            f"A request with this {HEADER} is still being processed. "
            "Retry in a moment to get its answer.",
            {"Retry-After": "1"},
        )
    finally:
        _tenant.reset(token)
    return as_response(answer)


def as_record(response: Response) -> dict[str, Any]:
    """A Response as the JSON-ready dict that is kept: status, body text, kept headers."""
    body = response.to_dict()["body"]  # Chalice's own serialisation, so replays match bytes
    headers = {k: v for k, v in (response.headers or {}).items() if _kept(k)}
    return {"status": response.status_code, "headers": headers, "body": body}


def as_response(record: dict[str, Any]) -> Response:
    """The Response a kept dict stands for; replays say so in Idempotent-Replayed."""
    headers = dict(record["headers"])
    if record.get("replayed"):
        headers[REPLAYED_HEADER] = "true"
    return Response(body=record["body"], status_code=record["status"], headers=headers)


def openapi_parameter() -> dict[str, Any]:
    """The OpenAPI header parameter every POST documents."""
    return {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "A unique value (a UUID) you choose per request. Repeating it with the same body "
            "within 24 hours returns the first response (with Idempotent-Replayed: true) "
            "without doing the work again; with another body it is a 422; while the first "
            "request is still running, a 409. Keys are scoped to your account, method and path."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    }


def _kept(header: str) -> bool:
    return header.lower() in {h.lower() for h in KEPT_HEADERS}


def _identity(request: Any, tenant_id: str, key: str) -> dict[str, Any]:
    """What names the request (scope: hashed into the record's key) and what it asks (payload)."""
    context = request.context or {}
    scope = {
        "tenant": tenant_id,
        "method": request.method,
        # The route template and its parameters, not the URL: a stage prefix in front of
        # the path in AWS must not change the key.
        "route": context.get("resourcePath") or request.path,
        "params": dict(sorted((request.uri_params or {}).items())),
        "key": key,
    }
    return {"scope": scope, "payload": {"query": _query(request), "body": _body(request)}}


def _body(request: Any) -> Any:
    """The body as JSON when it is (so spacing and key order do not count), else its digest."""
    raw = request.raw_body or b""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {"sha256": hashlib.sha256(raw).hexdigest()}


def _query(request: Any) -> dict[str, list[str]]:
    params = request.query_params
    if not params:
        return {}
    return {name: sorted(params.getlist(name)) for name in sorted(params.keys())}


def _problem(
    status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    body = problem_body(status, detail, title=title)
    body["type"] = f"/problems/{slug}"
    return Response(
        body=json.dumps(body),
        status_code=status,
        headers={"Content-Type": PROBLEM_TYPE, **(headers or {})},
    )


class _FallbackContext:
    """Stands in for the Lambda context outside Lambda: the function's whole timeout is left."""

    def get_remaining_time_in_millis(self) -> int:
        return FALLBACK_TIMEOUT_MS


@lru_cache(maxsize=4)
def _persistence(table_name: str, client: Any) -> Any:
    """One persistence layer per table and client: Powertools hooks each layer into the client."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    class TenantPartitionLayer(DynamoDBPersistenceLayer):
        """Records at pk=<tenant>#IDEMPOTENCY, so IAM's LeadingKeys fence them like all else."""

        def _get_key(self, idempotency_key: str) -> dict:
            return {
                self.key_attr: {"S": _tenant.get() + PARTITION_SUFFIX},
                self.sort_key_attr: {"S": idempotency_key},
            }

    return TenantPartitionLayer(
        table_name=table_name,
        key_attr="pk",
        sort_key_attr="sk",
        expiry_attr=TTL_ATTRIBUTE,
        in_progress_expiry_attr="idempotency_in_progress_until",
        status_attr="idempotency_status",
        data_attr="idempotency_response",
        validation_key_attr="idempotency_payload_hash",
        boto3_client=client,
    )
