"""How a route is declared: authorization, parsing, responses, problems and its OpenAPI entry."""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalice import Blueprint, Response

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
from chalicelib.domain.tenant_settings import in_customer_words
from chalicelib.lazy import SchemaRef, resolve

if TYPE_CHECKING:  # pydantic loads with the first body validated, not at cold start
    from pydantic import BaseModel, ValidationError

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
    body: type[BaseModel] | SchemaRef | None = None
    response: type[BaseModel] | SchemaRef | None = None
    status: int = 200
    public: bool = False
    admin: bool = False
    query: tuple[QueryParam, ...] = ()
    errors: tuple[int, ...] = ()
    paged: bool = False
    body_required: bool = True
    creates: bool = False


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

    @property
    def requested_by(self) -> dict[str, str | None]:
        """``{sub, client_id}`` of the token: what import and export records keep."""
        assert self.caller is not None
        return self.caller.requested_by()

    def body(self, model: type[BaseModel] | SchemaRef) -> Any:
        from pydantic import ValidationError  # deferred: see the TYPE_CHECKING import above

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
            return resolve(model).model_validate(data)
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
        elif err["type"] == "string_pattern_mismatch":
            from chalicelib.api.schemas import PATTERN_MESSAGES

            message = PATTERN_MESSAGES.get(err["ctx"]["pattern"], "has characters it may not hold")
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
    """API Gateway's id of this request (``requestContext.requestId``), as X-Request-Id.

    API Gateway always sends one; a request without (a hand-made event) gets a new UUID,
    kept in its context so the log lines and the header of one request agree.
    """
    context = getattr(request, "context", None)
    if not isinstance(context, dict):
        return str(uuid.uuid4())
    if not context.get("requestId"):
        context["requestId"] = str(uuid.uuid4())
    return context["requestId"]


def location_of(request: Any, body: Any) -> str | None:
    """The URL of the resource a POST created: the route's path (the collection) with the
    new ``id`` appended, as a path from the API's root (``/v1/customers/<id>``)."""
    if not isinstance(body, dict) or not body.get("id"):
        return None
    context = getattr(request, "context", None) or {}
    route = context.get("resourcePath")
    if not route:
        return None
    params = {k: quote(str(v), safe="") for k, v in (request.uri_params or {}).items()}
    return f"{route.format(**params).rstrip('/')}/{quote(str(body['id']), safe='')}"


def _etags(header: str) -> set[str]:
    """The opaque tags of an If-None-Match list, weak or strong alike (RFC 9110 §13.1.2)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def not_modified(request: Any, response: Response) -> Response | None:
    """A 304 when a GET's If-None-Match names the ETag of its 200 answer (or is ``*``)."""
    wanted = (request.headers or {}).get("if-none-match")
    etag = (response.headers or {}).get("ETag")
    if wanted is None or etag is None or response.status_code != 200:
        return None
    tags = _etags(wanted)
    if "*" not in tags and etag.removeprefix("W/") not in tags:
        return None
    return Response(body="", status_code=304, headers={"ETag": etag})


def finish(request: Any, method: str, response: Response, creates: bool = False) -> Response:
    """What every answer gets last: Location when the route ``creates`` a resource (and
    succeeded), a 304 for a GET whose If-None-Match still holds."""
    if creates and response.status_code < 300 and "Location" not in (response.headers or {}):
        body = response.body
        if isinstance(body, str):
            try:
                body = json.loads(body)
            except ValueError:
                body = None
        location = location_of(request, body)
        if location:
            response.headers["Location"] = location
    if method == "GET":
        return not_modified(request, response) or response
    return response


def in_tenant_words(error: DomainError, caller: Caller | None) -> DomainError:
    """``error`` with "customer" in the caller's tenant's word ("Client not found").

    Read only on this error path, and only when the message speaks of customers: the
    settings cost one GetItem, which answers that never fail do not pay.
    """
    texts = [error.title, error.detail] + [e.message for e in error.errors]
    if caller is None or not any(_CUSTOMER_WORD.search(t) for t in texts):
        return error
    from chalicelib.services.settings import get_settings

    label = get_settings(caller.tenant_id).customer_label
    error.title = in_customer_words(error.title, label)
    error.detail = in_customer_words(error.detail, label)
    error.errors = [FieldError(e.field, in_customer_words(e.message, label)) for e in error.errors]
    return error


_CUSTOMER_WORD = re.compile(r"customer", re.IGNORECASE)


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
        body: type[BaseModel] | SchemaRef | None = None,
        response: type[BaseModel] | SchemaRef | None = None,
        status: int = 200,
        public: bool = False,
        admin: bool = False,
        query: tuple[QueryParam, ...] = (),
        errors: tuple[int, ...] = (),
        paged: bool = False,
        body_required: bool = True,
        content_types: tuple[str, ...] = (JSON,),
        creates: bool | None = None,
    ) -> Callable:
        """Declare a route. ``creates``: its answer is a new resource named by the body's
        ``id``, so it carries a Location (default: when ``status`` is 201)."""
        creates = status == 201 if creates is None else creates

        def register(view: Callable) -> Callable:
            @functools.wraps(view)
            def handle(**params: Any) -> Any:
                request = self.blueprint.current_request
                caller = None
                try:
                    caller = (
                        None if public else caller_from_context(request.context.get("authorizer"))
                    )
                    if not public and caller is None:
                        return problem(401, "A valid bearer token is required.")
                    if admin and not caller.is_admin:
                        raise Forbidden("Only an admin of this account can do this.")
                    if caller is not None:
                        # Imported here: the store is not needed to import the app (cold start).
                        from chalicelib.services.tenants import ensure_tenant_ready

                        ensure_tenant_ready(caller.tenant_id)
                    call = Call(request, caller)
                    key = idempotency_key(request) if method == "POST" and caller else None
                    if key is not None:
                        answer = lambda: finish(  # noqa: E731
                            request, method, as_response(view(call, **params), status), creates
                        )
                        return answer_once(request, caller.tenant_id, key, answer)
                    result = view(call, **params)
                except DomainError as exc:
                    return problem_for(in_tenant_words(exc, caller))
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
                return finish(request, method, as_response(result, status), creates)

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
                    creates,
                )
            )
            return view

        return register
