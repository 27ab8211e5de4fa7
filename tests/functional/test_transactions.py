"""Transactions: a collision with another transaction is retried until it goes through."""

import pytest
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from chalicelib.store import records


def _cancelled(code: str) -> TransactWriteError:
    error = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
        "TransactWriteItems",
        cancellation_reasons=[CancellationReason(code=code, message=code)],
    )
    return TransactWriteError("Failed to write transaction items", cause=error)


def test_a_transaction_conflict_is_retried_until_it_goes_through(api, monkeypatch):
    real, calls = records._write, []

    def collide_once(ops):
        calls.append(1)
        if len(calls) == 1:
            raise _cancelled("TransactionConflict")
        real(ops)

    monkeypatch.setattr(records, "_write", collide_once)
    reply = api.post("/v1/lookups/customer-types", {"name": "Retried"})
    assert reply.status == 201 and len(calls) == 2
    assert [i["name"] for i in api.get("/v1/lookups/customer-types").json["items"]] == ["Retried"]


def test_endless_conflicts_give_up(api, monkeypatch):
    monkeypatch.setattr(records, "CONFLICT_RETRIES", 1)

    def always(ops):
        raise _cancelled("TransactionConflict")

    monkeypatch.setattr(records, "_write", always)
    with pytest.raises(TransactWriteError):
        records.transact([])
