"""The local stand-ins for two Lambda event sources: the table's stream and the delivery queue.

A process of its own (``python -m devstack.event_pump``, started by ``make run`` beside the
import pump), so the import pump's per-message DynamoDB request counts stay the import's.

``StreamPoller`` reads the table's stream on the moto server (DescribeStream,
GetShardIterator, GetRecords) and hands each batch to ``change_events`` in Lambda's event
shape, retrying a failed batch before moving on, as the event source mapping would; the
position is kept in a file, so a restarted pump resumes where it stopped. ``deliver_forever``
receives the delivery queue's messages one at a time and honours the handler's
``batchItemFailures``, as Lambda does with ReportBatchItemFailures.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from chalicelib.aws import client
from chalicelib.settings import get_settings
from devstack.pump import LambdaContext, receive_and_handle

BATCH_SIZE = 100  # as app.change_events' event source mapping
IDLE_SECONDS = 0.5


def streams_client():
    """A DynamoDB Streams client for the local endpoint.

    botocore addresses streams by account (``<account>.streams-ddb…``) when the ARN names
    one; moto answers only the regional name, so account endpoints are turned off.
    """
    import boto3
    from botocore.config import Config

    settings = get_settings()
    return boto3.session.Session().client(
        "dynamodbstreams",
        region_name=settings.region,
        endpoint_url=settings.aws_endpoint_url,
        config=Config(account_id_endpoint_mode="disabled"),
    )


class StreamPoller:
    """Polls every shard of the table's stream and calls ``handler(event, context)`` per batch."""

    def __init__(self, handler, *, checkpoint_dir: str | None = None) -> None:
        self.handler = handler
        self.streams = streams_client()
        table = get_settings().table_name
        self.arn = client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        digest = hashlib.sha1(self.arn.encode()).hexdigest()[:16]
        folder = Path(checkpoint_dir or tempfile.gettempdir())
        self.checkpoint = folder / f"sitebook-stream-{digest}.json"
        self.positions: dict[str, str] = (
            json.loads(self.checkpoint.read_text()) if self.checkpoint.exists() else {}
        )
        self.iterators: dict[str, str] = {}

    def _iterator(self, shard_id: str) -> str:
        if shard_id not in self.iterators:
            after = self.positions.get(shard_id)
            kwargs: dict[str, Any] = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
                if after
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            self.iterators[shard_id] = self.streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=shard_id, **kwargs
            )["ShardIterator"]
        return self.iterators[shard_id]

    def poll_once(self) -> int:
        """One GetRecords per shard; returns how many records were handled."""
        handled = 0
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            reply = self.streams.get_records(
                ShardIterator=self._iterator(shard_id), Limit=BATCH_SIZE
            )
            records = reply["Records"]
            if records:
                self._handle(records)
                self.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                self.checkpoint.write_text(json.dumps(self.positions))
                handled += len(records)
            self.iterators[shard_id] = reply["NextShardIterator"]
        return handled

    def _handle(self, records: list[dict]) -> None:
        event = {"Records": [self._lambda_record(r) for r in records]}
        while True:  # a failing batch blocks its shard until it succeeds, as in Lambda
            try:
                self.handler(event, LambdaContext())
                return
            except Exception as exc:
                print(f"pump: stream batch failed ({exc!r}); retrying", flush=True)
                time.sleep(1)

    def _lambda_record(self, record: dict) -> dict:
        change = dict(record["dynamodb"])
        stamp = change.get("ApproximateCreationDateTime")
        if hasattr(stamp, "timestamp"):
            change["ApproximateCreationDateTime"] = stamp.timestamp()
        return {**record, "dynamodb": change, "eventSourceARN": self.arn}

    def run_forever(self) -> None:
        while True:
            try:
                handled = self.poll_once()
            except Exception as exc:  # moto restarting, a shard iterator expired: start again
                print(f"pump: stream poll failed ({exc!r})", flush=True)
                self.iterators.clear()
                handled = 0
                time.sleep(1)
            if not handled:
                time.sleep(IDLE_SECONDS)


def deliver_once(handler, *, wait_seconds: int = 5) -> int:
    """Receive up to one delivery message and hand it to ``handler``; returns how many."""
    # No renewed lease: the handler sets a failed delivery's visibility (its backoff) itself.
    return receive_and_handle(
        handler,
        get_settings().webhook_queue_url,
        wait_seconds=wait_seconds,
        lease_seconds=60,
        renew=False,
    )


def deliver_forever(handler) -> None:
    while True:
        try:
            deliver_once(handler)
        except Exception as exc:
            print(f"pump: delivery receive failed ({exc!r})", flush=True)
            time.sleep(1)


def start(delivery_threads: int = 2) -> list[threading.Thread]:
    """Start the stream poller and ``delivery_threads`` delivery loops as daemon threads.

    Several delivery loops stand for Lambda's concurrency: FIFO groups keep one record's
    deliveries in order however many loops receive.
    """
    from app import change_events, webhook_delivery

    threads = [
        threading.Thread(
            target=StreamPoller(change_events).run_forever, name="stream", daemon=True
        ),
        *(
            threading.Thread(
                target=deliver_forever, args=(webhook_delivery,), name=f"deliver-{n}", daemon=True
            )
            for n in range(delivery_threads)
        ),
    ]
    for thread in threads:
        thread.start()
    return threads


def main() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("botocore", "boto3", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # It stands in for the change_events and webhook_delivery Lambdas: their retry budget, as
    # .chalice/config.json gives them (a long-poll receive outlasts the API's read timeout).
    os.environ["AWS_RETRY_BUDGET"] = "worker"
    threads = start()
    print("events: reading the table's stream and the webhook delivery queue", flush=True)
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
