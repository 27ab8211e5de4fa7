"""API Gateway's part locally: authorizer failures are 401, errors use infra's GatewayResponses."""

from __future__ import annotations

import json
import uuid
from functools import lru_cache

from chalice.local import (
    ForbiddenError,
    InvalidAuthorizerError,
    LocalGateway,
    LocalGatewayException,
    NotAuthorizedError,
)

from devstack.resources import template


@lru_cache(maxsize=1)
def gateway_responses() -> dict[str, tuple[int, str]]:
    """ResponseType -> (status, body), from the GatewayResponses of infra/resources.json."""
    out = {}
    for resource in template()["Resources"].values():
        if resource.get("Type") == "AWS::ApiGateway::GatewayResponse":
            props = resource["Properties"]
            out[props["ResponseType"]] = (
                int(props["StatusCode"]),
                props["ResponseTemplates"]["application/json"],
            )
    return out


def _response_type(error: LocalGatewayException) -> str:
    if isinstance(error, NotAuthorizedError):
        return "UNAUTHORIZED"
    if isinstance(error, InvalidAuthorizerError):
        return "DEFAULT_5XX"
    if isinstance(error, ForbiddenError):
        if b"Missing Authentication Token" in (error.body or b"") or b"requires 'Credential'" in (
            error.body or b""
        ):
            return "MISSING_AUTHENTICATION_TOKEN"
        return "ACCESS_DENIED"
    return "DEFAULT_4XX"


class GatewayError(LocalGatewayException):
    def __init__(self, status: int, headers: dict, body: bytes) -> None:
        super().__init__(headers, body)
        self.CODE = status


def as_gateway_response(error: LocalGatewayException) -> GatewayError:
    status, body = gateway_responses()[_response_type(error)]
    headers = {**(error.headers or {}), "Content-Type": "application/problem+json"}
    return GatewayError(status, headers, body.encode())


class ProblemLocalGateway(LocalGateway):
    """chalice's LocalGateway, answering the way the deployed API Gateway does."""

    def _generate_lambda_event(self, method, path, headers, body):
        # API Gateway gives every request an id (requestContext.requestId); chalice local
        # does not, so the X-Request-Id and logs of the local stack would have none.
        event = super()._generate_lambda_event(method, path, headers, body)
        event["requestContext"]["requestId"] = str(uuid.uuid4())
        return event

    def handle_request(self, method, path, headers, body):
        try:
            return super().handle_request(method, path, headers, body)
        except LocalGatewayException as error:
            raise as_gateway_response(error) from None
        except Exception as error:
            # A TOKEN authorizer failing with "Unauthorized" is API Gateway's 401.
            if str(error) == "Unauthorized":
                raise as_gateway_response(NotAuthorizedError({}, b"")) from None
            raise


def problem_json(status: int, detail: str) -> bytes:
    return json.dumps(
        {"type": "/problems/internal-error", "title": "Error", "status": status, "detail": detail}
    ).encode()
