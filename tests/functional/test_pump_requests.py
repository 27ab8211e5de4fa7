"""The local pump's per-message DynamoDB counts: with several handlers at once, each message's
line counts its own requests, those of the threads its handler started included."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pynamodb.connection.base as pynamodb_base


def test_each_delivery_is_charged_its_own_requests_and_its_pool_threads(aws, monkeypatch):
    from chalicelib.aws import client
    from chalicelib.settings import get_settings
    from devstack.pump import DynamoDBRequests

    # install() patches these process-wide, as the pump wants; the test puts them back.
    monkeypatch.setattr(threading.Thread, "start", threading.Thread.start)
    monkeypatch.setattr(pynamodb_base, "get_session", pynamodb_base.get_session)
    requests = DynamoDBRequests().install()
    dynamodb = client("dynamodb")
    requests.watch(dynamodb)
    table = get_settings().table_name
    key = {"pk": {"S": "nobody#X"}, "sk": {"S": "x"}}
    both_begun = threading.Barrier(2)
    counted: dict[str, object] = {}

    def handle(delivery: str, reads: int, writes_from_pool: int) -> None:
        requests.begin(delivery)
        both_begun.wait()  # the two handlers' requests overlap in time
        for _ in range(reads):
            dynamodb.get_item(TableName=table, Key=key)
        with ThreadPoolExecutor(max_workers=2) as pool:
            for n in range(writes_from_pool):
                item = {"pk": {"S": "nobody#X"}, "sk": {"S": f"{delivery}-{n}"}}
                pool.submit(dynamodb.put_item, TableName=table, Item=item).result()
        counted[delivery] = requests.take(delivery)

    handlers = [
        threading.Thread(target=handle, args=("first", 3, 2)),
        threading.Thread(target=handle, args=("second", 5, 0)),
    ]
    for thread in handlers:
        thread.start()
    for thread in handlers:
        thread.join()
    dynamodb.get_item(TableName=table, Key=key)  # no delivery under way: nobody's

    assert counted == {"first": {"GetItem": 3, "PutItem": 2}, "second": {"GetItem": 5}}
    assert requests.take("first") == {}  # taken once
