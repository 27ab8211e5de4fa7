"""The queue pump: hands the import queue's messages to the import handler as Lambda would.

Lambda keeps a message invisible for the queue's visibility timeout (infra: 5400 s, six times
the function's limit) and lets it return when an invocation dies. The pump instead leases each
message for ``--lease-seconds`` and renews the lease while the handler runs, so a pump that is
killed mid-import lets its message return within seconds, and the restarted pump resumes the
import from its checkpoint under the same message id, as a retried Lambda would.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
import uuid

from chalicelib.aws import client
from chalicelib.settings import get_settings

LAMBDA_TIMEOUT_MS = 900_000
RETRY_AFTER_SECONDS = 5
LEASE_SECONDS = 20


class LambdaContext:
    """The parts of Lambda's context object the handler uses."""

    def __init__(self, timeout_ms: int = LAMBDA_TIMEOUT_MS) -> None:
        self.function_name = "sitebook-local-import_worker"
        self.aws_request_id = uuid.uuid4().hex
        self.memory_limit_in_mb = 2048
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Lease:
    """Keeps one received message invisible while the handler runs, renewing every third of it."""

    def __init__(self, sqs, queue_url: str, receipt_handle: str, seconds: int) -> None:
        self.sqs, self.queue_url, self.receipt_handle = sqs, queue_url, receipt_handle
        self.seconds = seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="lease", daemon=True)

    def _renew(self) -> None:
        while not self._done.wait(self.seconds / 3):
            try:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=self.receipt_handle,
                    VisibilityTimeout=self.seconds,
                )
            except Exception as exc:  # the next renewal may succeed; the import's claim decides
                print(f"pump: could not renew the message's lease ({exc!r})", flush=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


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


def pump_once(
    handler,
    *,
    wait_seconds: int = 2,
    timeout_ms: int = LAMBDA_TIMEOUT_MS,
    lease_seconds: int = LEASE_SECONDS,
) -> int:
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
        VisibilityTimeout=lease_seconds,
        AttributeNames=["All"],
    )
    for message in reply.get("Messages", []):
        receipt = message["ReceiptHandle"]
        try:
            with Lease(sqs, queue_url, receipt, lease_seconds):
                handler(lambda_event(message, arn), LambdaContext(timeout_ms))
        except Exception as exc:  # Lambda retries after the visibility timeout; we do, sooner.
            print(f"pump: handler failed ({exc!r}); the message returns to the queue", flush=True)
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=RETRY_AFTER_SECONDS
            )
        else:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
    return len(reply.get("Messages", []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout-ms", type=int, default=LAMBDA_TIMEOUT_MS)
    parser.add_argument("--lease-seconds", type=int, default=LEASE_SECONDS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("botocore", "boto3", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from app import import_worker

    print("pump: waiting for import messages", flush=True)
    while True:
        pump_once(import_worker, timeout_ms=args.timeout_ms, lease_seconds=args.lease_seconds)


if __name__ == "__main__":
    main()
