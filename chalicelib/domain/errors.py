"""Errors the domain raises; the API makes each a problem+json, imports a row error."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One invalid field: where (a dotted path such as ``site_address.postcode``) and why."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every error a caller is meant to see; ``status`` is its HTTP meaning."""

    status = 400
    title = "Bad request"

    def __init__(
        self, detail: str, *, errors: list[FieldError] | None = None, title: str | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        if title:
            self.title = title  # a title of its own ("Customer not found") over the class's


class BadRequest(DomainError):
    status, title = 400, "Bad request"


class Forbidden(DomainError):
    status, title = 403, "Forbidden"


class NotFound(DomainError):
    status, title = 404, "Not found"


class Conflict(DomainError):
    """A taken name or number, or a state that forbids the change. ``conflicting_id`` is the
    record holding the name (when known), so a "+Add New" box can select it instead."""

    status, title = 409, "Conflict"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        conflicting_id: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail, errors=errors, title=title)
        self.conflicting_id = conflicting_id


class PreconditionFailed(DomainError):
    status, title = 412, "Precondition failed"


class TooLarge(DomainError):
    status, title = 413, "Payload too large"


class ValidationFailed(DomainError):
    """One or more fields are invalid; ``errors`` names each field and reason."""

    status, title = 422, "Validation failed"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or _summarise(errors), errors=errors)


def _summarise(errors: list[FieldError]) -> str:
    if len(errors) == 1:
        return f"{errors[0].field}: {errors[0].message}"
    return f"{len(errors)} fields are invalid: " + ", ".join(e.field for e in errors)


def refuse_nulls(changes: dict, names: Iterable[str] | None = None) -> None:
    """ValidationFailed naming each of ``names`` (default: every key) that ``changes`` sets to None.

    For fields a PATCH may change but never clear.
    """
    keys = changes if names is None else [n for n in names if n in changes]
    nulls = [FieldError(k, "cannot be null") for k in keys if changes[k] is None]
    if nulls:
        raise ValidationFailed(nulls)
