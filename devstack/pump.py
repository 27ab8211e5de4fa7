"""The queue pump: hands the import queue's messages to the import handler as Lambda would."""

from __future__ import annotations

import argparse
import time
import uuid

from chalicelib.aws import client
from chalicelib.settings import get_settings

LAMBDA_TIMEOUT_MS = 900_000
RETRY_AFTER_SECONDS = 5


class LambdaContext:
    """The parts of Lambda's context object the handler uses."""

    def __init__(self, timeout_ms: int = LAMBDA_TIMEOUT_MS) -> None:
        self.function_name = "sitebook-local-import_worker"
        self.aws_request_id = uuid.uuid4().hex
        self.memory_limit_in_mb = 2048
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def lambda_event(message: dict, queue_arn: str) -> dict:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": get_settings().region,
            }
        ]
    }


def pump_once(handler, *, wait_seconds: int = 2, timeout_ms: int = LAMBDA_TIMEOUT_MS) -> int:
    """Receive up to one message and hand it to the handler; return how many were handled."""
    sqs = client("sqs")
    queue_url = get_settings().import_queue_url
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    reply = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=1,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
    )
    for message in reply.get("Messages", []):
        try:
            handler(lambda_event(message, arn), LambdaContext(timeout_ms))
        except (
            Exception
        ) as exc:  # Lambda would retry after the visibility timeout; so do we, sooner.
            print(f"pump: handler failed ({exc!r}); the message returns to the queue", flush=True)
            sqs.change_message_visibility(
                QueueUrl=queue_url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=RETRY_AFTER_SECONDS,
            )
        else:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return len(reply.get("Messages", []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout-ms", type=int, default=LAMBDA_TIMEOUT_MS)
    args = parser.parse_args()
    from app import import_worker

    print("pump: waiting for import messages", flush=True)
    while True:
        pump_once(import_worker, timeout_ms=args.timeout_ms)


if __name__ == "__main__":
    main()
