"""Transactions with uniqueness claims and optimistic versions, failures as domain errors."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, DomainError, NotFound, PreconditionFailed
from chalicelib.domain.values import name_key
from chalicelib.store.base import TableModel, VersionedModel, bind


class UniqueClaim(TableModel):
    """Holds a unique value (a customer name, a lookup name) for its owner, in one transaction."""

    owner_id = UnicodeAttribute()


def claim_key(tenant_id: str, scope: str, value: str) -> str:
    return f"{tenant_id}#UNIQUE#{scope}#{name_key(value)}"


def new_claim(tenant_id: str, scope: str, value: str, owner_id: str) -> UniqueClaim:
    return UniqueClaim(
        claim_key(tenant_id, scope, value), "UNIQUE", entity="unique", owner_id=owner_id
    )


@dataclass
class Op:
    """One write of a transaction; ``on_fail`` is raised when its condition does not hold."""

    action: str  # "save" | "delete" | "check"
    model: Model
    condition: Any = None
    on_fail: Callable[[], DomainError] | None = None


def connection() -> Connection:
    """The connection transactions are sent through: the models' own, one per process."""
    bind()
    return TableModel._get_connection().connection


CONFLICT_RETRIES = 4


def transact(ops: Sequence[Op]) -> None:
    """Write every op or none; a failed condition raises the op's domain error.

    DynamoDB cancels a transaction that collides with another on the same item
    ("TransactionConflict"); that is retried with backoff, so the loser of a race
    re-runs and meets the winner's condition (a 409), never a 500.
    """
    bind()
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            _write(ops)
            return
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            for op, reason in zip(_as_sent(ops), reasons, strict=False):
                if reason is not None and reason.code == "ConditionalCheckFailed" and op.on_fail:
                    raise _with_holder(op, op.on_fail()) from exc
            codes = {r.code for r in reasons if r is not None}
            if "TransactionConflict" not in codes or attempt == CONFLICT_RETRIES:
                raise
            time.sleep(0.02 * 2**attempt * (1 + random.random()))


# PynamoDB's TransactWrite sends condition checks, then deletes, then puts, whatever order
# they were added in; DynamoDB's cancellation reasons follow the order sent.
_SENT_ORDER = {"check": 0, "delete": 1, "save": 2}


def _as_sent(ops: Sequence[Op]) -> list[Op]:
    """``ops`` in the order the request lists them, to pair with cancellation reasons."""
    return sorted(ops, key=lambda op: _SENT_ORDER[op.action])


def _with_holder(op: Op, error: DomainError) -> DomainError:
    """A Conflict over a taken unique value names the record that holds it (one GetItem of the
    claim, on this failure path only)."""
    if not isinstance(error, Conflict) or error.conflicting_id or op.action != "save":
        return error
    if not isinstance(op.model, UniqueClaim):
        return error
    try:
        claim = UniqueClaim.get(op.model.pk, op.model.sk, consistent_read=True)
    except UniqueClaim.DoesNotExist:  # released since: the caller may simply retry
        return error
    error.conflicting_id = claim.owner_id
    return error


def _write(ops: Sequence[Op]) -> None:
    with TransactWrite(connection=connection()) as tx:
        for op in ops:
            if op.action == "save":
                tx.save(op.model, condition=op.condition)
            elif op.action == "delete":
                tx.delete(op.model, condition=op.condition)
            else:
                tx.condition_check(type(op.model), op.model.pk, op.model.sk, condition=op.condition)


def claim_ops(
    tenant_id: str,
    scope: str,
    owner_id: str,
    old: str | None,
    new: str | None,
    conflict: Callable[[], DomainError],
) -> list[Op]:
    """The ops that move a unique value from ``old`` to ``new`` (either may be None)."""
    if (old and new and name_key(old) == name_key(new)) or (not old and not new):
        return []
    ops: list[Op] = []
    if old:
        claim = new_claim(tenant_id, scope, old, owner_id)
        ops.append(Op("delete", claim, UniqueClaim.owner_id == owner_id))
    if new:
        claim = new_claim(tenant_id, scope, new, owner_id)
        ops.append(Op("save", claim, UniqueClaim.pk.does_not_exist(), conflict))
    return ops


def version_matches(item: VersionedModel, expected: int | None) -> None:
    """If-Match: the caller's version must be the stored one."""
    if expected is not None and item.version != expected:
        raise PreconditionFailed(
            f"The record has changed since you read it (it is at version {item.version}, "
            f"you sent {expected}). Read it again and retry."
        )


def get_or_404(model: type[Model], pk: str, sk: str, what: str) -> Any:
    bind()
    try:
        return model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        raise NotFound(f"No {what} with that id.", title=f"{what.capitalize()} not found") from None


def stale(what: str) -> Callable[[], DomainError]:
    return lambda: PreconditionFailed(
        f"The {what} changed while you were saving it. Read it again and retry."
    )


def conditional_failed(exc: Exception) -> bool:
    """Whether a PynamoDB write error is its condition failing (not a fault)."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
