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

from chalicelib.domain.errors import Conflict, DomainError, NotFound, PreconditionFailed
from chalicelib.domain.values import name_key
from chalicelib.store.base import TableModel, VersionedModel, bind
from chalicelib.store.item_json import Condition, Write, absent, keys, owned_by


class UniqueClaim(TableModel):
    """Holds a unique value (a customer name, a lookup name) for its owner, in one transaction."""

    owner_id = UnicodeAttribute()


def claim_key(tenant_id: str, scope: str, value: str) -> str:
    return f"{tenant_id}#UNIQUE#{scope}#{name_key(value)}"


CLAIM_SK = "UNIQUE"


def new_claim(tenant_id: str, scope: str, value: str, owner_id: str) -> UniqueClaim:
    return UniqueClaim(
        claim_key(tenant_id, scope, value), CLAIM_SK, entity="unique", owner_id=owner_id
    )


def claim_item(tenant_id: str, scope: str, value: str, owner_id: str) -> dict[str, Any]:
    """A uniqueness claim's item as DynamoDB JSON (what ``new_claim(...).serialize()`` gives)."""
    item = keys(claim_key(tenant_id, scope, value), CLAIM_SK, "unique")
    item["owner_id"] = {"S": owner_id}
    return item


def is_claim(write: Write) -> bool:
    return write.sk == CLAIM_SK


@dataclass
class Op:
    """One write of a transaction; ``on_fail`` is raised when its condition does not hold."""

    action: str  # "save" | "delete" | "check"
    model: Model
    condition: Any = None
    on_fail: Callable[[], DomainError] | None = None

    def as_write(self) -> Write:
        """The same write as DynamoDB JSON, serialised by the model (kinds without a function
        of their own in item_json: lookups, users, mappings, settings)."""
        if self.action == "save":
            kwargs = self.model.get_save_kwargs_from_instance(condition=self.condition)
            item, action = kwargs["Item"], "put"
        elif self.action == "delete":
            kwargs = self.model.get_delete_kwargs_from_instance(condition=self.condition)
            item, action = kwargs["Key"], "delete"
        else:
            kwargs = type(self.model).get_operation_kwargs_from_class(
                self.model.pk, self.model.sk, condition=self.condition
            )
            item, action = kwargs["Key"], "check"
        condition = None
        if "ConditionExpression" in kwargs:
            condition = Condition(
                kwargs["ConditionExpression"],
                kwargs.get("ExpressionAttributeNames", {}),
                kwargs.get("ExpressionAttributeValues", {}),
            )
        return Write(action, item, condition, self.on_fail)


def connection() -> Connection:
    """The connection transactions are sent through: the models' own, one per process."""
    bind()
    return TableModel._get_connection().connection


CONFLICT_RETRIES = 4


def transact(ops: Sequence[Op | Write]) -> None:
    """Write every op or none; a failed condition raises the op's domain error.

    DynamoDB cancels a transaction that collides with another on the same item
    ("TransactionConflict"); that is retried with backoff, so the loser of a race
    re-runs and meets the winner's condition (a 409), never a 500.
    """
    bind()
    writes = [op.as_write() if isinstance(op, Op) else op for op in ops]
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            _write(writes)
            return
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            for op, reason in zip(_as_sent(writes), reasons, strict=False):
                if reason is not None and reason.code == "ConditionalCheckFailed" and op.on_fail:
                    raise _with_holder(op, op.on_fail()) from exc
            codes = {r.code for r in reasons if r is not None}
            if "TransactionConflict" not in codes or attempt == CONFLICT_RETRIES:
                raise
            time.sleep(0.02 * 2**attempt * (1 + random.random()))


# The request lists condition checks, then deletes, then puts, whatever order they were
# given in (as PynamoDB's TransactWrite did); DynamoDB's cancellation reasons follow it.
_SENT_ORDER = {"check": 0, "delete": 1, "put": 2}


def _as_sent(writes: Sequence[Write]) -> list[Write]:
    """``writes`` in the order the request lists them, to pair with cancellation reasons."""
    return sorted(writes, key=lambda write: _SENT_ORDER[write.action])


def _with_holder(write: Write, error: DomainError) -> DomainError:
    """A Conflict over a taken unique value names the record that holds it (one GetItem of the
    claim, on this failure path only)."""
    if not isinstance(error, Conflict) or error.conflicting_id or write.action != "put":
        return error
    if not is_claim(write):
        return error
    try:
        claim = UniqueClaim.get(write.pk, write.sk, consistent_read=True)
    except UniqueClaim.DoesNotExist:  # released since: the caller may simply retry
        return error
    error.conflicting_id = claim.owner_id
    return error


def _write(writes: Sequence[Write]) -> None:
    """One TransactWriteItems through the models' connection (TransactWriteError on failure)."""
    table = {"TableName": TableModel.Meta.table_name}
    by_action: dict[str, list[dict[str, Any]]] = {"check": [], "delete": [], "put": []}
    for write in writes:
        ((_, body),) = write.entry().items()
        by_action[write.action].append(table | body)
    connection().transact_write_items(
        condition_check_items=by_action["check"],
        delete_items=by_action["delete"],
        put_items=by_action["put"],
        update_items=[],
    )


def claim_ops(
    tenant_id: str,
    scope: str,
    owner_id: str,
    old: str | None,
    new: str | None,
    conflict: Callable[[], DomainError] | None,
) -> list[Write]:
    """The writes that move a unique value from ``old`` to ``new`` (either may be None): the old
    claim deleted while still ``owner_id``'s, the new one put if free (else ``conflict``)."""
    if (old and new and name_key(old) == name_key(new)) or (not old and not new):
        return []
    writes: list[Write] = []
    if old:
        claim = claim_item(tenant_id, scope, old, owner_id)
        writes.append(Write("delete", claim, owned_by(owner_id)))
    if new:
        claim = claim_item(tenant_id, scope, new, owner_id)
        writes.append(Write("put", claim, absent(), conflict))
    return writes


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
