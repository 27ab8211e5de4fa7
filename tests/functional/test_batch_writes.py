"""A checkpoint group's batches: concurrent when their keys are distinct, in order when not."""

from __future__ import annotations

import threading
import time

import pytest

from chalicelib.store.batch_writes import batch_write, write_group


@pytest.fixture
def dynamodb(aws):
    from chalicelib.aws import client

    return client("dynamodb")


@pytest.fixture
def table(aws) -> str:
    from chalicelib.settings import get_settings

    return get_settings().table_name


def put(pk: str, sk: str, value: str = "v") -> dict:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, "value": {"S": value}}
    return {"PutRequest": {"Item": item}}


def delete(pk: str, sk: str) -> dict:
    return {"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}


def stored(dynamodb, table: str, pk: str) -> dict[str, str]:
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )["Items"]
    return {item["sk"]["S"]: item["value"]["S"] for item in items}


class InFlight:
    """BatchWriteItem calls under way at once, seen through botocore's events on the client."""

    def __init__(self, dynamodb, slow_when=lambda requests: True, seconds: float = 0.3) -> None:
        self.now = self.most = 0
        self.order: list[str] = []
        self._lock = threading.Lock()
        self._slow_when, self._seconds = slow_when, seconds
        events = dynamodb.meta.events
        events.register("before-parameter-build.dynamodb.BatchWriteItem", self._before)
        events.register("after-call.dynamodb.BatchWriteItem", self._after)

    def _before(self, params, **_) -> None:
        (requests,) = params["RequestItems"].values()
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.order.append(_first_key(requests))
        if self._slow_when(requests):
            time.sleep(self._seconds)

    def _after(self, **_) -> None:
        with self._lock:
            self.now -= 1


def _first_key(requests: list[dict]) -> str:
    body = requests[0].get("PutRequest", {}).get("Item") or requests[0]["DeleteRequest"]["Key"]
    return body["sk"]["S"]


def test_batches_with_distinct_keys_are_written_concurrently(dynamodb, table):
    batches = [[put("p", f"{b}-{n:02d}") for n in range(25)] for b in range(8)]
    flight = InFlight(dynamodb)

    calls = write_group(dynamodb, table, batches, workers=4)

    assert calls == 8 and flight.most == 4
    assert len(stored(dynamodb, table, "p")) == 200


def test_a_key_in_two_batches_keeps_their_order(dynamodb, table):
    """A rename frees a name in one batch and another row claims it in a later one."""
    write_group(dynamodb, table, [[put("claims", "name#acme", "old owner")]])
    freed = [delete("claims", "name#acme")] + [put("p", f"a-{n:02d}") for n in range(24)]
    claimed = [put("claims", "name#acme", "new owner")]
    # The batch that frees the name is slow: written concurrently, the claim would land first
    # and the delete would then remove it.
    flight = InFlight(dynamodb, slow_when=lambda requests: "DeleteRequest" in requests[0])

    write_group(dynamodb, table, [freed, claimed], workers=4)

    assert stored(dynamodb, table, "claims") == {"name#acme": "new owner"}
    assert flight.most == 1 and flight.order == ["name#acme", "name#acme"]


def test_unprocessed_items_of_concurrent_batches_are_retried(dynamodb, table):
    sleeps: list[float] = []
    handed_back: set[str] = set()

    def leave_one_unprocessed(parsed, **_):
        # DynamoDB hands back what it could not write under load; moto never does, so the
        # first answer for each batch is told that one of its writes was not taken.
        first = _first_key(pending[threading.get_ident()])
        if first not in handed_back:
            handed_back.add(first)
            parsed["UnprocessedItems"] = {table: pending[threading.get_ident()][:1]}

    pending: dict[int, list[dict]] = {}

    def remember(params, **_):
        (pending[threading.get_ident()],) = params["RequestItems"].values()

    dynamodb.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", remember)
    dynamodb.meta.events.register("after-call.dynamodb.BatchWriteItem", leave_one_unprocessed)
    batches = [[put("p", f"{b}-{n:02d}") for n in range(25)] for b in range(4)]

    calls = write_group(dynamodb, table, batches, workers=4, sleep=sleeps.append)

    assert calls == 8 and len(sleeps) == 4
    assert len(stored(dynamodb, table, "p")) == 100


def test_unprocessed_items_are_retried_with_growing_backoff(dynamodb, table):
    rounds, sleeps = [3], []

    def hand_one_back(params, **_):
        # DynamoDB hands back what it could not write under load; moto never does, so three
        # answers in a row are told their first write was not taken (it was, harmlessly).
        (requests,) = params["RequestItems"].values()
        hand_one_back.sent = requests

    def unprocessed(parsed, **_):
        if rounds[0]:
            rounds[0] -= 1
            parsed["UnprocessedItems"] = {table: hand_one_back.sent[:1]}

    dynamodb.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", hand_one_back)
    dynamodb.meta.events.register("after-call.dynamodb.BatchWriteItem", unprocessed)

    calls = batch_write(dynamodb, table, [put("q", "a"), put("q", "b")], sleep=sleeps.append)

    assert calls == 4 and stored(dynamodb, table, "q") == {"a": "v", "b": "v"}
    assert sleeps[0] < sleeps[2] * 2 and max(sleeps) <= 5
