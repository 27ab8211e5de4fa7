"""How a route is declared: authorization, parsing, responses, problems and its OpenAPI entry."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api.auth import token_authorizer
from chalicelib.api.idempotency import answer_once, idempotency_key
from chalicelib.api.problems import problem, problem_for
from chalicelib.api.tokens import Caller, caller_from_context
from chalicelib.domain.errors import (
    BadRequest,
    DomainError,
    FieldError,
    Forbidden,
    ValidationFailed,
)

log = logging.getLogger("sitebook.api")

JSON = "application/json"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
# No resource nests deeper than a handful of levels (customer → billing → invoice_options);
# a deeper body is refused before anything recurses over it (json, pydantic, PynamoDB).
MAX_BODY_DEPTH = 16
_JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    type: str = "string"
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: int | None = None


@dataclass
class RouteDoc:
    """What the OpenAPI document says of one route and method."""

    path: str
    method: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    public: bool = False
    admin: bool = False
    query: tuple[QueryParam, ...] = ()
    errors: tuple[int, ...] = ()
    paged: bool = False
    body_required: bool = True


ROUTE_DOCS: list[RouteDoc] = []
PAGE_PARAMS = (
    QueryParam(
        "limit",
        f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); outside that range a 422, "
        "not a whole number a 400.",
        "integer",
        minimum=1,
        maximum=MAX_LIMIT,
        default=DEFAULT_LIMIT,
    ),
    QueryParam("cursor", "The next_cursor of the previous page."),
)


@dataclass
class Call:
    """One request as a route sees it: the verified caller and parsing helpers."""

    request: Any
    caller: Caller | None
    extra: dict = field(default_factory=dict)

    @property
    def tenant_id(self) -> str:
        assert self.caller is not None
        return self.caller.tenant_id

    @property
    def user_id(self) -> str:
        assert self.caller is not None
        return self.caller.user_id

    def body(self, model: type[BaseModel]) -> Any:
        raw = self.request.raw_body
        if not raw:
            raise BadRequest("The request needs a JSON body.")
        if _opens_deeper_than(raw, MAX_BODY_DEPTH):
            raise BadRequest(f"The body nests deeper than {MAX_BODY_DEPTH} levels.")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"The body is not valid JSON: {exc}.") from None
        except RecursionError:  # the depth scan above should make this unreachable
            raise BadRequest(f"The body nests deeper than {MAX_BODY_DEPTH} levels.") from None
        if not isinstance(data, dict):
            raise BadRequest("The body must be a JSON object.")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc)) from None

    def query(self, name: str) -> str | None:
        params = self.request.query_params or {}
        value = params.get(name)
        return value if value not in (None, "") else None

    def query_bool(self, name: str) -> bool | None:
        value = self.query(name)
        if value is None:
            return None
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise ValidationFailed([FieldError(name, "must be true or false")])

    def sort(self, supported: tuple[str, ...]) -> str | None:
        """``sort`` of a list: None when absent (the list's own order), one of ``supported``,
        else ValidationFailed (422): an order the list cannot give is refused, not ignored."""
        value = self.query("sort")
        if value is not None and value not in supported:
            raise ValidationFailed([FieldError("sort", f"must be {' or '.join(supported)}")])
        return value

    def page(self) -> tuple[int, str | None]:
        """``limit`` and ``cursor`` of a list: limit that is not a whole number (``abc``,
        ``²``, ``1.5``) → BadRequest (400); a whole number outside 1–MAX_LIMIT →
        ValidationFailed (422)."""
        raw = self.query("limit")
        limit = DEFAULT_LIMIT
        if raw is not None:
            # ASCII digits only: str.isdigit() also admits "²" and "٣", which int() refuses
            # or reads as another number.
            if not re.fullmatch(r"[0-9]{1,6}", raw):
                raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
            limit = int(raw)
            if not 1 <= limit <= MAX_LIMIT:
                raise ValidationFailed(
                    [FieldError("limit", f"must be a whole number from 1 to {MAX_LIMIT}")]
                )
        return limit, self.query("cursor")

    def if_match(self) -> int | None:
        """The version named by If-Match ("3", W/"3" or *), or None when absent or *."""
        value = (self.request.headers or {}).get("if-match")
        if value is None or value.strip() == "*":
            return None
        match = re.fullmatch(r'\s*(?:W/)?"?(\d+)"?\s*', value)
        if not match:
            raise BadRequest('If-Match must be an ETag this API gave, such as "3".')
        return int(match.group(1))


def _opens_deeper_than(raw: bytes | str, limit: int) -> bool:
    """Whether JSON text opens more than ``limit`` arrays/objects at once (strings skipped).

    A scan rather than a parse: ``json.loads`` itself recurses once per level and raises
    RecursionError near a thousand, which must become a 400, not a 500.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    depth = 0
    for bracket in _BRACKETS.findall(_JSON_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def field_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "is not a field of this resource"
        elif err["type"] == "missing":
            message = "is required"
        errors.append(FieldError(loc, message))
    return errors


def record(data: dict, status: int = 200, headers: dict | None = None) -> Response:
    """A single resource, with its version as the ETag."""
    extra = {"ETag": f'"{data["version"]}"'} if data.get("version") is not None else {}
    return Response(
        body=data, status_code=status, headers={"Content-Type": JSON, **extra, **(headers or {})}
    )


def as_response(result: Any, status: int) -> Response:
    """What a view returned as a Response: a Response as is, anything else as JSON."""
    if isinstance(result, Response):
        return result
    return Response(body=result, status_code=status, headers={"Content-Type": JSON})


def page(items: list[dict], next_cursor: str | None) -> dict:
    return {"items": items, "next_cursor": next_cursor}


# DynamoDB's answers that mean "too much at once": retried within the request's budget
# (chalicelib/aws.py), then told to the client as a 503 to retry, not a 500.
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "ThrottlingError",
        "RequestLimitExceeded",
        "TransactionInProgressException",
    }
)
RETRY_AFTER_SECONDS = 1


def _overloaded(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is AWS throttling or a timeout of the retry budget."""
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ConnectTimeoutError | ReadTimeoutError):
            return True
        codes = {getattr(error, "cause_response_code", None)}
        response = getattr(error, "response", None)
        if isinstance(response, dict):
            codes.add((response.get("Error") or {}).get("Code"))
        reasons = getattr(error, "cancellation_reasons", None) or []
        codes.update(getattr(reason, "code", None) for reason in reasons)
        if codes & THROTTLING_CODES:
            return True
        error = error.__cause__ or error.__context__
    return False


def request_id(request: Any) -> str:
    context = getattr(request, "context", None) or {}
    return context.get("requestId") or "unknown"


class Endpoints:
    """A blueprint whose routes are authorized, parsed and documented the same way."""

    def __init__(self, import_name: str, tag: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag

    def route(
        self,
        path: str,
        method: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        public: bool = False,
        admin: bool = False,
        query: tuple[QueryParam, ...] = (),
        errors: tuple[int, ...] = (),
        paged: bool = False,
        body_required: bool = True,
        content_types: tuple[str, ...] = (JSON,),
    ) -> Callable:
        def register(view: Callable) -> Callable:
            @functools.wraps(view)
            def handle(**params: Any) -> Any:
                request = self.blueprint.current_request
                try:
                    caller = (
                        None if public else caller_from_context(request.context.get("authorizer"))
                    )
                    if not public and caller is None:
                        return problem(401, "A valid bearer token is required.")
                    if admin and not caller.is_admin:
                        raise Forbidden("Only an admin of this account can do this.")
                    call = Call(request, caller)
                    key = idempotency_key(request) if method == "POST" and caller else None
                    if key is not None:
                        answer = lambda: as_response(view(call, **params), status)  # noqa: E731
                        return answer_once(request, caller.tenant_id, key, answer)
                    result = view(call, **params)
                except DomainError as exc:
                    return problem_for(exc)
                except Exception as exc:
                    if _overloaded(exc):
                        log.warning("AWS busy in %s %s: %s", method, path, exc)
                        return problem(
                            503,
                            "The database is busy; retry in a moment.",
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                        )
                    rid = request_id(request)
                    log.exception("unhandled error in %s %s (request %s)", method, path, rid)
                    return problem(
                        500,
                        f"Something went wrong on our side. Quote request id {rid} when reporting.",
                    )
                return as_response(result, status)

            handle.__name__ = f"{view.__name__}_{method.lower()}"
            self.blueprint.route(
                path,
                methods=[method],
                authorizer=None if public else token_authorizer,
                content_types=list(content_types),
            )(handle)
            ROUTE_DOCS.append(
                RouteDoc(
                    path,
                    method,
                    summary,
                    self.tag,
                    body,
                    response,
                    status,
                    public,
                    admin,
                    tuple(query) + (PAGE_PARAMS if paged else ()),
                    errors,
                    paged,
                    body_required,
                )
            )
            return view

        return register
