"""BatchWriteItem with its unprocessed items retried (the bulk writer benches load data with)."""

from __future__ import annotations

import pytest

from chalicelib.store.batch_writes import batch_write


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


def stored(dynamodb, table: str, pk: str) -> dict[str, str]:
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )["Items"]
    return {item["sk"]["S"]: item["value"]["S"] for item in items}


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
