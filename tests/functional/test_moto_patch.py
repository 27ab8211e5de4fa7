"""devstack's moto patch answers as moto does: same Query pages, same transaction outcomes."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devstack import moto_patch

TABLE = "patched"


@contextmanager
def unpatched():
    """moto as released, for the reference answer; the patch is back afterwards."""
    moto_patch.remove()
    try:
        yield
    finally:
        moto_patch.apply()


@pytest.fixture
def db():
    assert moto_patch.is_applied()  # tests/functional/conftest.py applies it
    with table() as client:
        yield client


@contextmanager
def table():
    """A fresh moto with TABLE (two GSIs) in it: a DynamoDB client."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="ap-southeast-2")
        keys = [("pk", "HASH"), ("sk", "RANGE")]
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gpk", "gsk")
            ],
            KeySchema=[{"AttributeName": a, "KeyType": t} for a, t in keys],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_group",
                    "KeySchema": [
                        {"AttributeName": "gpk", "KeyType": "HASH"},
                        {"AttributeName": "gsk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "by_group_only",
                    "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
            ],
        )
        yield client


def item(pk: str, sk: str, group: str | None = None, order: str | None = None, n: int = 0):
    attrs = {"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(n)}}
    if group:
        attrs["gpk"] = {"S": group}
    if order:
        attrs["gsk"] = {"S": order}
    return attrs


def seed(db) -> None:
    """Three groups over several partitions; then items moved between groups and deleted."""
    for i in range(60):
        group = f"g{i % 3}"
        order = f"{'ab'[i % 2]}{i % 7:02d}"  # repeats, so the table keys break the ties
        db.put_item(TableName=TABLE, Item=item(f"p{i % 5}", f"s{i:03d}", group, order, i))
    db.put_item(TableName=TABLE, Item=item("p9", "no-group"))
    for i in (3, 4, 5):  # move to another group (in place, through UpdateItem)
        db.update_item(
            TableName=TABLE,
            Key={"pk": {"S": f"p{i % 5}"}, "sk": {"S": f"s{i:03d}"}},
            UpdateExpression="SET gpk = :g",
            ExpressionAttributeValues={":g": {"S": "g1"}},
        )
    db.update_item(  # out of every index
        TableName=TABLE,
        Key={"pk": {"S": "p1"}, "sk": {"S": "s006"}},
        UpdateExpression="REMOVE gpk",
    )
    for i in (7, 8):
        db.delete_item(TableName=TABLE, Key={"pk": {"S": f"p{i % 5}"}, "sk": {"S": f"s{i:03d}"}})
    db.put_item(TableName=TABLE, Item=item("p0", "s000", "g2", "z99"))  # replaced whole


def pages(db, **query) -> list[tuple[list, dict | None]]:
    """Every page of a Query, as (items, LastEvaluatedKey)."""
    out, start = [], None
    while True:
        page = db.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
        start = page.get("LastEvaluatedKey")
        out.append((page["Items"], start))
        if not start:
            return out


QUERIES = {
    "gsi, paged": {
        "IndexName": "by_group",
        "KeyConditionExpression": "gpk = :g",
        "ExpressionAttributeValues": {":g": {"S": "g1"}},
        "Limit": 4,
    },
    "gsi, backwards, begins_with, filtered": {
        "IndexName": "by_group",
        "KeyConditionExpression": "gpk = :g AND begins_with(gsk, :p)",
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues": {":g": {"S": "g2"}, ":p": {"S": "a"}, ":n": {"N": "10"}},
        "ScanIndexForward": False,
        "Limit": 3,
    },
    "gsi without a sort key, keys only": {
        "IndexName": "by_group_only",
        "KeyConditionExpression": "gpk = :g",
        "ExpressionAttributeValues": {":g": {"S": "g0"}},
        "Limit": 5,
    },
    "gsi, an empty group": {
        "IndexName": "by_group",
        "KeyConditionExpression": "gpk = :g",
        "ExpressionAttributeValues": {":g": {"S": "nobody"}},
    },
    "table, between, projected": {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ProjectionExpression": "sk, n",
        "ExpressionAttributeValues": {":p": {"S": "p2"}, ":a": {"S": "s010"}, ":b": {"S": "s050"}},
        "Limit": 2,
    },
    "table, begins_with, a page exactly, more after": {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"S": "s01"}},
        "Limit": 2,
    },
    "table, begins_with, a page exactly, nothing after": {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "ExpressionAttributeValues": {":p": {"S": "p1"}, ":s": {"S": "s05"}},
        "Limit": 2,
    },
    "table, greater than, backwards": {
        "KeyConditionExpression": "pk = :p AND sk > :s",
        "ExpressionAttributeValues": {":p": {"S": "p3"}, ":s": {"S": "s040"}},
        "ScanIndexForward": False,
        "Limit": 3,
    },
    "gsi, between, paged": {
        "IndexName": "by_group",
        "KeyConditionExpression": "gpk = :g AND gsk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":g": {"S": "g1"}, ":a": {"S": "a01"}, ":b": {"S": "b02"}},
        "Limit": 2,
    },
    "table, backwards": {
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p0"}},
        "ScanIndexForward": False,
        "Limit": 5,
    },
}


@pytest.mark.parametrize("name", QUERIES)
def test_a_query_gives_the_pages_moto_itself_gives(db, name):
    seed(db)
    patched = pages(db, **QUERIES[name])
    with unpatched():
        reference = pages(db, **QUERIES[name])
    assert patched == reference
    assert sum(len(items) for items, _ in patched) > 0 or name == "gsi, an empty group"


PROJECTIONS = {
    "top-level attributes of every type, one absent": "sk, n, words, facts, parts, flag, gone,"
    " nothing",
    "a nested path and a list item (moto's own way)": "sk, facts.a, parts[1]",
}


@pytest.mark.parametrize("name", PROJECTIONS)
def test_a_projected_query_gives_the_items_moto_itself_gives(db, name):
    # A search's entries are read with 9 projected attributes (search_entries.ENTRY_READ).
    for i in range(6):
        values = {
            "words": {"SS": [f"w{i}", "shared", f"x{i % 2}"]},
            "facts": {"M": {"a": {"N": "1.50"}, "b": {"S": f"v{i}"}, "c": {"NULL": True}}},
            "parts": {"L": [{"S": "one"}, {"N": str(i)}, {"BOOL": False}]},
            "flag": {"BOOL": i % 2 == 0},
            "nothing": {"NULL": True},
        }
        db.put_item(TableName=TABLE, Item={**item("p7", f"s{i:03d}", "g7", f"a{i}", i), **values})
    query = {
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p7"}},
        "ProjectionExpression": PROJECTIONS[name],
        "Limit": 4,
    }
    patched = pages(db, **query)
    with unpatched():
        reference = pages(db, **query)

    def as_sets(found):  # a string set's members come in no set order
        return [
            ([{k: sorted(v["SS"]) if "SS" in v else v for k, v in i.items()} for i in items], key)
            for items, key in found
        ]

    assert as_sets(patched) == as_sets(reference)
    assert sum(len(items) for items, _ in patched) == 6


@pytest.mark.parametrize("name", QUERIES)
def test_a_query_read_as_one_page_gives_the_pages_moto_itself_gives(db, monkeypatch, name):
    # Every partition read through its sorted keys, cut to the page: ties of the sort key
    # (the table's keys break them) across page ends, forwards and backwards.
    monkeypatch.setattr(moto_patch, "SMALL_PARTITION", 0)
    seed(db)
    query = {**QUERIES[name], "Limit": 1} if name.startswith("gsi, paged") else QUERIES[name]
    patched = pages(db, **query)
    with unpatched():
        reference = pages(db, **query)
    assert patched == reference


def test_an_index_built_after_writes_and_kept_after_more_writes_agrees_with_moto(db):
    seed(db)
    query = QUERIES["gsi, paged"]
    pages(db, **query)  # builds the index
    db.put_item(TableName=TABLE, Item=item("p3", "late", "g1", "a00"))
    db.delete_item(TableName=TABLE, Key={"pk": {"S": "p4"}, "sk": {"S": "s004"}})
    patched = pages(db, **query)
    with unpatched():
        assert patched == pages(db, **query)
    assert {"S": "late"} in [i["sk"] for items, _ in patched for i in items]


def test_sorted_partitions_built_then_changed_still_agree_with_moto(db):
    # Every query first (building the index's and the table's sorted partitions), then
    # writes that move items within the sort order, between groups and out of the table.
    seed(db)
    for query in QUERIES.values():
        pages(db, **query)
    for i in range(9, 30, 3):  # a new sort-key value in the same group, in place
        db.update_item(
            TableName=TABLE,
            Key={"pk": {"S": f"p{i % 5}"}, "sk": {"S": f"s{i:03d}"}},
            UpdateExpression="SET gsk = :o",
            ExpressionAttributeValues={":o": {"S": f"a{i % 4:02d}"}},
        )
    db.update_item(  # to another group and sort key at once
        TableName=TABLE,
        Key={"pk": {"S": "p0"}, "sk": {"S": "s010"}},
        UpdateExpression="SET gpk = :g, gsk = :o",
        ExpressionAttributeValues={":g": {"S": "g1"}, ":o": {"S": "b01"}},
    )
    for i in (11, 12, 40):
        db.delete_item(TableName=TABLE, Key={"pk": {"S": f"p{i % 5}"}, "sk": {"S": f"s{i:03d}"}})
    db.put_item(TableName=TABLE, Item=item("p1", "s011", "g2", "a00"))  # deleted, back elsewhere
    db.put_item(TableName=TABLE, Item=item("p1", "s015", "g1", "a05"))  # replaced, same key
    db.put_item(TableName=TABLE, Item=item("p1", "s0105", "g1", "b02"))  # new, between two
    patched = {name: pages(db, **query) for name, query in QUERIES.items()}
    with unpatched():
        reference = {name: pages(db, **query) for name, query in QUERIES.items()}
    assert patched == reference


def test_an_item_is_refused_for_its_size_exactly_where_moto_refuses_it(db):
    def outcomes() -> list:
        found = []
        for size in range(404_950, 405_000, 5):  # across moto's limit, with the other attributes
            key = {"pk": {"S": "big"}, "sk": {"S": f"s{size}"}}
            try:
                db.put_item(TableName=TABLE, Item={**key, "blob": {"S": "x" * size}})
                stored = db.get_item(TableName=TABLE, Key=key)["Item"]
                found.append(stored == {**key, "blob": {"S": "x" * size}})
            except ClientError as error:
                found.append(error.response["Error"]["Message"])
        return found

    patched = outcomes()
    with unpatched():
        assert outcomes() == patched
    assert True in patched and any(isinstance(o, str) for o in patched)  # both sides tried


def test_a_page_is_cut_at_moto_s_size_limit_where_moto_cuts_it(db):
    # Each item's size counts towards the 1 MB a page may hold: the patched Query sizes an
    # item once, moto twice; the pages must end at the same items.
    for n in range(12):
        blob = "x" * (150_000 + 7_919 * n)  # sizes that do not divide 1 MB evenly
        db.put_item(
            TableName=TABLE,
            Item={**item("heavy", f"s{n:02d}", "g", f"o{n % 4}"), "blob": {"S": blob}},
        )
    queries = (
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "heavy"}}},
        {
            "IndexName": "by_group",
            "KeyConditionExpression": "gpk = :g",
            "ExpressionAttributeValues": {":g": {"S": "g"}},
            "ScanIndexForward": False,
        },
    )

    def cuts() -> list:
        return [[[i["sk"]["S"] for i in items] for items, _ in pages(db, **q)] for q in queries]

    patched = cuts()
    with unpatched():
        assert cuts() == patched
    assert all(len(query_pages) > 1 for query_pages in patched)  # the limit did cut them


def test_a_kept_size_follows_an_item_updated_in_place(db):
    # The patch keeps each item's size on it; moto's UpdateItem changes the stored item in
    # place (a grown string, an ADD to a set, a removed attribute, a failed condition). The
    # pages read after each update must still end where moto ends them.
    for n in range(10):
        db.put_item(
            TableName=TABLE,
            Item={**item("grows", f"s{n:02d}", "g", f"o{n}"), "body": {"S": "x" * 90_000}},
        )
    query = {
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "grows"}},
    }

    def cut() -> list:
        patched = [[i["sk"]["S"] for i in items] for items, _ in pages(db, **query)]
        with unpatched():
            assert [[i["sk"]["S"] for i in items] for items, _ in pages(db, **query)] == patched
        return patched

    def update(n: int, expression: str, values: dict, **extra) -> None:
        key = {"pk": {"S": "grows"}, "sk": {"S": f"s{n:02d}"}}
        db.update_item(
            TableName=TABLE, Key=key, UpdateExpression=expression,
            ExpressionAttributeValues=values, **extra,
        )  # fmt: skip

    seen = [cut(), cut()]  # every item sized and kept, then read with the kept sizes
    for n in (1, 4, 7):
        update(n, "SET body = :b", {":b": {"S": "y" * 300_000}})
    seen.append(cut())
    update(0, "ADD tags :t", {":t": {"SS": ["z" * 250_000]}})
    for n in (1, 4):
        key = {"pk": {"S": "grows"}, "sk": {"S": f"s{n:02d}"}}
        db.update_item(TableName=TABLE, Key=key, UpdateExpression="REMOVE body")
    seen.append(cut())
    with pytest.raises(db.exceptions.ConditionalCheckFailedException):
        update(
            4,
            "SET body = :b",
            {":b": {"S": "-"}, ":no": {"S": "no"}},
            ConditionExpression="gsk = :no",
        )
    seen.append(cut())
    assert [len(found) for found in seen] == [1, 1, 2, 2, 2]
    assert seen[2] != seen[3] == seen[4]  # the ADD and REMOVE moved the end of the first page


def test_an_answer_is_built_as_moto_builds_it_from_every_kind_of_value():
    """dynamo_to_dict's short way gives moto's own result, containers and values alike; so
    does sizing every kind of value without wrapping its members."""
    import datetime

    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    stored = Item(DynamoType({"S": "k"}), None, {"pk": {"S": "k"}, **RICH, **BINARY})
    answer = {
        "Items": [stored.attrs, stored.attrs],
        "Count": 2,
        "LastEvaluatedKey": {"pk": DynamoType({"S": "k"}), "n": DynamoType({"N": "1"})},
        "At": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
        "Table": {"Item": stored},  # an object with to_json
    }
    released = moto_patch._original("responses.dynamo_to_dict")(answer)
    assert moto_patch._dynamo_to_dict(answer) == released
    assert released["Items"][0]["b"] == {"B": b"\x00\x01raw"}  # binary decoded, both ways
    assert type(moto_patch._dynamo_to_dict(answer)["Items"][0]) is dict
    sizes = [DynamoType(value).size() for value in (*RICH.values(), *BINARY.values())]
    with unpatched():
        assert [DynamoType(value).size() for value in (*RICH.values(), *BINARY.values())] == sizes
    built = moto_patch._dynamo_to_dict(answer)
    built["Items"][0]["list"]["L"].append({"S": "more"})  # an answer shares nothing stored
    assert len(stored.attrs["list"].value) == 4


def everything(db) -> list[dict]:
    return sorted(db.scan(TableName=TABLE)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_a_transaction_with_a_failing_condition_changes_nothing(db):
    seed(db)
    before = everything(db)
    group_before = pages(db, **QUERIES["gsi, paged"])
    with pytest.raises(ClientError) as failed:
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": item("p1", "new", "g1", "a00")}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "p2"}, "sk": {"S": "s002"}},
                        "UpdateExpression": "SET gpk = :g, n = :n",
                        "ExpressionAttributeValues": {":g": {"S": "g1"}, ":n": {"N": "99"}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "p0"}, "sk": {"S": "s010"}}}},
                {
                    "Update": {  # creates an item that did not exist
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "p7"}, "sk": {"S": "upserted"}},
                        "UpdateExpression": "SET gpk = :g",
                        "ExpressionAttributeValues": {":g": {"S": "g1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "p1"}, "sk": {"S": "s001"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    assert failed.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert everything(db) == before
    assert pages(db, **QUERIES["gsi, paged"]) == group_before


def test_a_transaction_that_holds_goes_through(db):
    seed(db)
    db.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": item("p1", "new", "g1", "a00")}},
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "p0"}, "sk": {"S": "s010"}}}},
        ]
    )
    keys = [(i["pk"]["S"], i["sk"]["S"]) for i in everything(db)]
    assert ("p1", "new") in keys and ("p0", "s010") not in keys


def test_concurrent_transactions_stay_atomic_and_a_rollback_keeps_the_others_writes(db):
    """Racing claims of one key: one winner, no loser's record left; committed writes survive."""
    claimants, rounds = 4, 15
    outcomes: list[str] = []
    barrier = threading.Barrier(claimants)

    def claim(who: int) -> None:
        barrier.wait()
        for r in range(rounds):
            try:
                db.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": TABLE, "Item": item("rec", f"{r}-{who}", "g1", "a")}},
                        {
                            "Put": {
                                "TableName": TABLE,
                                "Item": item("claim", str(r), n=who),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
                outcomes.append(f"{r}-{who}")
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "TransactionCanceledException"

    threads = [threading.Thread(target=claim, args=(w,)) for w in range(claimants)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = {i["sk"]["S"] for i in everything(db) if i["pk"]["S"] == "rec"}
    winners = {i["sk"]["S"]: i["n"]["N"] for i in everything(db) if i["pk"]["S"] == "claim"}
    assert len(outcomes) == rounds and records == set(outcomes)
    assert winners == {r.split("-")[0]: r.split("-")[1] for r in outcomes}


def test_another_moto_version_is_refused_with_the_reason(monkeypatch):
    import moto

    monkeypatch.setattr(moto, "__version__", "5.9.0")
    with unpatched():
        with pytest.raises(moto_patch.MotoVersionMismatch, match="moto 5.9.0 is installed"):
            moto_patch.apply()
        assert not moto_patch.is_applied()
        monkeypatch.setattr(moto, "__version__", moto_patch.PATCHED_MOTO_VERSION)


def _consume_fifo_concurrently(consumers: int = 3, groups: int = 4, per_group: int = 12):
    """Consumers long-poll a FIFO queue while messages arrive; returns (overlaps, orders).

    ``overlaps`` counts receives of a message while another of its group was held (SQS
    never does that); ``orders`` maps each group to the sequence numbers in receive order.
    """
    sqs = boto3.client("sqs", region_name="ap-southeast-2")
    url = sqs.create_queue(
        QueueName="ordered.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    total = groups * per_group
    lock = threading.Lock()
    held: set[str] = set()
    overlaps = 0
    orders: dict[str, list[int]] = {f"g{g}": [] for g in range(groups)}
    done = threading.Event()

    def consume() -> None:
        nonlocal overlaps
        while not done.is_set():
            reply = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1, VisibilityTimeout=30
            )
            for message in reply.get("Messages", []):
                group, seq = message["Body"].split(":")
                with lock:
                    overlaps += group in held
                    held.add(group)
                    orders[group].append(int(seq))
                threading.Event().wait(0.02)  # the handler's work
                with lock:
                    held.discard(group)
                    if sum(map(len, orders.values())) >= total:
                        done.set()
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    threads = [threading.Thread(target=consume) for _ in range(consumers)]
    for thread in threads:
        thread.start()
    for seq in range(per_group):
        for g in range(groups):
            sqs.send_message(QueueUrl=url, MessageBody=f"g{g}:{seq}", MessageGroupId=f"g{g}")
        threading.Event().wait(0.01)
    done.wait(60)
    done.set()
    for thread in threads:
        thread.join()
    return overlaps, orders


def test_a_fifo_group_is_held_by_one_consumer_at_a_time_and_read_in_order():
    # Several long-polling consumers, as the local event pump's delivery threads: moto's own
    # receive read the groups in flight once per long poll, so one record's second webhook
    # could overtake its first (CI, test_webhooks_e2e).
    with mock_aws():
        overlaps, orders = _consume_fifo_concurrently()
    assert overlaps == 0
    assert orders == {group: list(range(12)) for group in orders}


def test_reads_beside_updates_of_the_same_item_always_see_it_whole(db):
    """moto changes an item in place on UpdateItem and builds a read's answer afterwards; as
    released, a GetItem or Query beside a stream of updates that grow a map fails now and then
    with "dictionary changed size during iteration". DynamoDB reads an item as of one moment."""
    db.put_item(TableName=TABLE, Item={**item("p", "counter"), "parts": {"M": {}}})
    updates, errors = 400, []

    def update() -> None:
        for n in range(updates):
            db.update_item(
                TableName=TABLE,
                Key={"pk": {"S": "p"}, "sk": {"S": "counter"}},
                UpdateExpression="SET parts.#part = :n ADD done :one",
                ExpressionAttributeNames={"#part": f"part-{n}"},
                ExpressionAttributeValues={":n": {"N": str(n)}, ":one": {"N": "1"}},
            )

    def read(done: threading.Event) -> None:
        while not done.is_set():
            try:
                got = db.get_item(TableName=TABLE, Key={"pk": {"S": "p"}, "sk": {"S": "counter"}})
                whole = got["Item"]
                page = db.query(
                    TableName=TABLE,
                    KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "p"}},
                )["Items"]
                assert len(whole["parts"]["M"]) == int(whole.get("done", {"N": "0"})["N"])
                assert len(page) == 1
            except Exception as error:  # noqa: BLE001 (every failure is the finding)
                errors.append(repr(error))

    done = threading.Event()
    readers = [threading.Thread(target=read, args=(done,)) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        update()
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert errors == []
    final = db.get_item(TableName=TABLE, Key={"pk": {"S": "p"}, "sk": {"S": "counter"}})["Item"]
    assert final["done"] == {"N": str(updates)} and len(final["parts"]["M"]) == updates


# Every kind of attribute value, binary among them at every depth, and an attribute named
# like a type: the patched answer must be moto's, whatever the value holds.
RICH = {
    "s": {"S": "text"},
    "empty": {"S": ""},
    "n": {"N": "12.50"},
    "yes": {"BOOL": True},
    "none": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "list": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}, {"M": {"deep": {"BOOL": False}}}]},
    "map": {"M": {"inner": {"M": {"s": {"S": "y"}}}, "S": {"N": "3"}}},
    "N": {"S": "an attribute named N"},
}
BINARY = {
    "b": {"B": b"\x00\x01raw"},
    "bs": {"BS": [b"one", b"two"]},
    "in_list": {"L": [{"S": "x"}, {"B": b"\xff"}]},
    "in_map": {"M": {"S": {"B": b"\x10"}}},
    "N": {"B": b"named N, holding binary"},
}


def rich_reads(db) -> list:
    """The answers of every read and write that returns items, keys or attribute values."""
    for n, extra in enumerate((RICH, BINARY, {**RICH, **BINARY})):
        db.put_item(TableName=TABLE, Item={**item("rich", f"s{n}", "g", f"o{n}"), **extra})
    key = {"pk": {"S": "rich"}, "sk": {"S": "s0"}}
    answers = [
        db.get_item(TableName=TABLE, Key={"pk": {"S": "rich"}, "sk": {"S": f"s{n}"}})
        for n in range(3)
    ]
    answers.append(
        pages(
            db,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "rich"}},
            Limit=2,
        )
    )
    answers.append(
        pages(
            db,
            IndexName="by_group",
            KeyConditionExpression="gpk = :g",
            ExpressionAttributeValues={":g": {"S": "g"}},
        )
    )
    answers.append(
        db.batch_get_item(
            RequestItems={
                TABLE: {"Keys": [{"pk": {"S": "rich"}, "sk": {"S": f"s{n}"}} for n in range(3)]}
            }
        )["Responses"]
    )
    answers.append(
        db.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET extra = :b",
            ExpressionAttributeValues={":b": {"B": b"added"}},
            ReturnValues="ALL_NEW",
        )["Attributes"]
    )
    answers.append(db.delete_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD")["Attributes"])
    answers.append(everything(db))
    return [_without_request_ids(a) for a in answers]


def _without_request_ids(answer):
    if isinstance(answer, dict):
        return {k: _without_request_ids(v) for k, v in answer.items() if k != "ResponseMetadata"}
    if isinstance(answer, list):
        return [_without_request_ids(v) for v in answer]
    return answer


def test_items_of_every_attribute_type_are_answered_as_moto_answers_them(db):
    patched = rich_reads(db)
    db.delete_table(TableName=TABLE)
    with unpatched(), table() as released:
        assert rich_reads(released) == patched
    assert patched[0]["Item"]["map"] == RICH["map"]
    assert patched[1]["Item"]["b"] == {"B": b"\x00\x01raw"}  # binary comes back as bytes


def test_the_server_routes_each_service_s_requests_to_it_request_after_request():
    """moto's server (its WSGI app, in process): the routing kept per host still sends each
    service's requests to that service, and the answers are moto's."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.test import Client

    server = Client(DomainDispatcherApplication(create_backend_app))

    def over_the_server(request, **_):
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        path = request.url.split("127.0.0.1:5999", 1)[1]
        reply = server.open(path, method=request.method, headers=headers, data=request.body)
        raw = MockRawResponse(reply.get_data())
        return AWSResponse(request.url, reply.status_code, dict(reply.headers), raw)

    def client(service: str):
        made = boto3.client(
            service,
            region_name="ap-southeast-2",
            endpoint_url="http://127.0.0.1:5999",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        made.meta.events.register("before-send", over_the_server)
        return made

    with mock_aws():
        dynamodb, sqs, s3 = client("dynamodb"), client("sqs"), client("s3")
        for round_ in range(3):  # the first request of each host routes afresh, the next reuse it
            dynamodb.create_table(
                TableName=f"t{round_}",
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            )
            dynamodb.put_item(TableName=f"t{round_}", Item={"pk": {"S": "k"}, "v": RICH["map"]})
            got = dynamodb.get_item(TableName=f"t{round_}", Key={"pk": {"S": "k"}})["Item"]
            assert got == {"pk": {"S": "k"}, "v": RICH["map"]}
            url = sqs.create_queue(QueueName=f"q{round_}")["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=f"m{round_}")
            assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == f"m{round_}"
            s3.create_bucket(
                Bucket=f"bucket{round_}",
                CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"},
            )
            assert [b["Name"] for b in s3.list_buckets()["Buckets"]][-1] == f"bucket{round_}"
        assert dynamodb.list_tables()["TableNames"] == ["t0", "t1", "t2"]
