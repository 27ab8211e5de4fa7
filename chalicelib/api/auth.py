"""The Chalice authorizer guarding every route but health and the OpenAPI document."""

from __future__ import annotations

import logging

from chalice import AuthResponse, Blueprint

from chalicelib.api.tokens import InvalidToken, bearer_token, caller_to_context, verify_token

auth_blueprint = Blueprint(__name__)
log = logging.getLogger(__name__)


class Unauthorized(Exception):
    """API Gateway answers 401 when a token authorizer fails with exactly this message."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


@auth_blueprint.authorizer(ttl_seconds=300)
def token_authorizer(auth_request):
    try:
        caller = verify_token(bearer_token(auth_request.token))
    except InvalidToken as exc:
        log.info("token rejected: %s", exc)
        raise Unauthorized() from None
    return AuthResponse(
        routes=["*"], principal_id=caller.user_id, context=caller_to_context(caller)
    )
