"""The queue pump: hands the import queue's messages to the import handler as Lambda would.

Lambda keeps a message invisible for the queue's visibility timeout (infra: 5400 s, six times
the function's limit) and lets it return when an invocation dies. The pump instead leases each
message for ``--lease-seconds`` and renews the lease while the handler runs, so a pump that is
killed mid-import lets its message return within seconds, and the restarted pump resumes the
import from its checkpoint under the same message id, as a retried Lambda would. It runs up
to IMPORT_WRITE_CONCURRENCY handlers at once (``--concurrency``), as Lambda runs up to its
concurrency, so an import's write parts (imports/write/parts.py) run side by side; a thread
beside them hands the dead-letter queue's messages to ``import_dead_letters``, and another
calls ``import_watchdog`` every ``--watch-seconds`` as its EventBridge schedule would (the
interval of app.py's Rate). Each message's
line reports the DynamoDB requests its own handler made (from its thread and the threads
that thread started), not its neighbours'.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import threading
import time
import uuid
from collections import Counter
from contextlib import nullcontext

from chalicelib.aws import client
from chalicelib.imports.watchdog import WATCH_EVERY_MINUTES
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


class DynamoDBRequests:
    """Counts DynamoDB requests, boto3's and PynamoDB's, by operation, for the message whose
    handler made them.

    A botocore ``before-call.dynamodb`` handler on the boto3 client and on every botocore
    session PynamoDB makes (one per thread) charges each request to the message its thread
    handles: the handler's thread, or a thread started from it (the worker writes a group's
    rows from a pool), which inherits the message when it starts. Requests of no message
    (the dead-letter thread's) are not reported. The bench sums the pump's per-message lines.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # several handlers, each with a pool of row writers
        self._counts: dict[str, Counter[str]] = {}

    def install(self) -> DynamoDBRequests:
        """Count PynamoDB's requests too, and let threads inherit their starter's message:
        call before any model is used or thread started."""
        import pynamodb.connection.base as pynamodb_base

        original = pynamodb_base.get_session

        def counted_session():
            session = original()
            session.register("before-call.dynamodb", self._count)
            return session

        pynamodb_base.get_session = counted_session
        start = threading.Thread.start

        def start_with_message(thread: threading.Thread) -> None:
            thread._pump_message = _message_of(threading.current_thread())  # type: ignore[attr-defined]
            start(thread)

        threading.Thread.start = start_with_message  # type: ignore[method-assign]
        return self

    def watch(self, dynamodb) -> None:
        """Count a boto3 client's requests (idempotent: the handler is registered once)."""
        dynamodb.meta.events.register(
            "before-call.dynamodb", self._count, unique_id="pump-dynamodb-requests"
        )

    def begin(self, delivery: str) -> None:
        """Charge this thread's requests (and its new threads') to ``delivery`` (a message's
        receipt handle) from now."""
        threading.current_thread()._pump_message = delivery  # type: ignore[attr-defined]
        with self._lock:
            self._counts[delivery] = Counter()

    def take(self, delivery: str) -> Counter[str]:
        """The requests charged to ``delivery`` since ``begin``, by operation; this thread
        charges nothing more to it."""
        threading.current_thread()._pump_message = None  # type: ignore[attr-defined]
        with self._lock:
            return self._counts.pop(delivery, Counter())

    def _count(self, model, **_) -> None:
        message_id = _message_of(threading.current_thread())
        with self._lock:
            if message_id in self._counts:
                self._counts[message_id][model.name] += 1


def _message_of(thread: threading.Thread) -> str | None:
    return getattr(thread, "_pump_message", None)


def describe(counts: Counter[str]) -> str:
    by_operation = ", ".join(f"{name} {n:,}" for name, n in counts.most_common())
    return f"DynamoDB requests {sum(counts.values()):,} ({by_operation or 'none'})"


REPORT = re.compile(
    r"^pump: message (?P<id>\S+) (?:handled in|failed after) (?P<seconds>[\d.]+) s; "
    r"DynamoDB requests [\d,]+ \((?P<operations>[^)]*)\)$",
    re.MULTILINE,
)


def read_reports(log: str) -> list[tuple[str, float, Counter[str]]]:
    """(message id, seconds, DynamoDB requests by operation) of each message line in a pump log."""
    reports = []
    for match in REPORT.finditer(log):
        counts: Counter[str] = Counter()
        for part in match["operations"].split(", "):
            if part != "none":
                name, n = part.rsplit(" ", 1)
                counts[name] = int(n.replace(",", ""))
        reports.append((match["id"], float(match["seconds"]), counts))
    return reports


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


def receive_and_handle(
    handler,
    queue_url: str,
    *,
    wait_seconds: int = 2,
    timeout_ms: int = LAMBDA_TIMEOUT_MS,
    lease_seconds: int = LEASE_SECONDS,
    requests: DynamoDBRequests | None = None,
    renew: bool = True,
) -> int:
    """Do what Lambda's SQS event source mapping does for one message of ``queue_url``.

    Receive up to one message (long poll of ``wait_seconds``), hold it (``renew``: with a
    visibility lease renewed while ``handler(event, context)`` runs; without, for a handler
    that sets the message's visibility itself, e.g. a retry's backoff), then delete it — unless the
    handler raised (the message returns after RETRY_AFTER_SECONDS, sooner than Lambda would)
    or reported it in ``batchItemFailures`` (a partial batch response: it returns after its
    visibility timeout, which the handler may have set). Returns how many were received.
    """
    sqs = client("sqs")
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
        if requests:
            requests.watch(client("dynamodb"))
            requests.begin(receipt)  # one receipt per delivery, even of one message
        started = time.monotonic()
        try:
            held = Lease(sqs, queue_url, receipt, lease_seconds) if renew else nullcontext()
            with held:
                answer = handler(lambda_event(message, arn), LambdaContext(timeout_ms)) or {}
        except Exception as exc:  # Lambda retries after the visibility timeout; we do, sooner.
            print(f"pump: handler failed ({exc!r}); the message returns to the queue", flush=True)
            _report(message, "failed after", started, requests)
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=RETRY_AFTER_SECONDS
            )
            continue
        failures = answer.get("batchItemFailures", []) if isinstance(answer, dict) else []
        if message["MessageId"] in {failure["itemIdentifier"] for failure in failures}:
            if requests:
                requests.take(receipt)
            continue  # the handler asked for a retry of this one; it comes back by itself
        # Before the delete: once the queue is empty, every handled message has its line.
        _report(message, "handled in", started, requests)
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
    return len(reply.get("Messages", []))


def _report(message: dict, outcome: str, started: float, requests: DynamoDBRequests | None) -> None:
    if requests:
        seconds = time.monotonic() - started
        print(
            f"pump: message {message['MessageId']} {outcome} {seconds:.1f} s; "
            f"{describe(requests.take(message['ReceiptHandle']))}",
            flush=True,
        )


def scheduled_event(now: float | None = None) -> dict:
    """The event EventBridge hands a scheduled Lambda (chalice.app.CloudWatchEvent's fields)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    region = get_settings().region
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": stamp,
        "region": region,
        "resources": [f"arn:aws:events:{region}:000000000000:rule/sitebook-local-import_watchdog"],
        "detail": {},
    }


def run_on_schedule(handler, seconds: float, *, stop: threading.Event | None = None) -> None:
    """Call ``handler(event, context)`` every ``seconds`` (the first after one interval, as a
    new rule's first run) until ``stop`` is set; a failing call is printed and the next one
    runs on time, as the next scheduled invocation would."""
    stop = stop or threading.Event()
    while not stop.wait(seconds):
        try:
            handler(scheduled_event(), LambdaContext())
        except Exception as exc:
            print(f"pump: scheduled handler failed ({exc!r})", flush=True)


def pump_concurrently(
    handler,
    queue_url: str,
    *,
    concurrency: int,
    keep_going=lambda: True,
    **options,
) -> None:
    """Up to ``concurrency`` handlers at once, as Lambda's event source mapping runs up to its
    concurrency: each of as many threads receives and handles one message at a time (see
    receive_and_handle, whose ``options`` it takes) while ``keep_going()``. A handler's
    exception returns its message to the queue and the thread goes on, as Lambda's would."""

    def loop() -> None:
        while keep_going():
            try:
                receive_and_handle(handler, queue_url, **options)
            except Exception as exc:  # the queue itself failed: try again shortly
                print(f"pump: could not receive ({exc!r})", flush=True)
                time.sleep(1)

    threads = [
        threading.Thread(target=loop, name=f"handler-{n}", daemon=True) for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout-ms", type=int, default=LAMBDA_TIMEOUT_MS)
    parser.add_argument("--lease-seconds", type=int, default=LEASE_SECONDS)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=get_settings().import_write_concurrency,
        help="handlers at once (default: IMPORT_WRITE_CONCURRENCY)",
    )
    parser.add_argument(
        "--watch-seconds",
        type=float,
        default=WATCH_EVERY_MINUTES * 60,
        help="interval of the import watchdog (default: its schedule's, 5 minutes)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("botocore", "boto3", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    requests = DynamoDBRequests().install()
    # The pump stands in for the import_worker Lambda: its retry budget, as .chalice/config.json.
    os.environ["AWS_RETRY_BUDGET"] = "worker"
    from app import import_dead_letters, import_watchdog, import_worker

    settings = get_settings()
    print(f"pump: waiting for import messages, {args.concurrency} at once", flush=True)
    if settings.import_dlq_url:  # as the import_dead_letters Lambda's mapping would
        threading.Thread(
            target=pump_concurrently,
            args=(import_dead_letters, settings.import_dlq_url),
            kwargs={"concurrency": 1, "wait_seconds": 2},
            name="dead-letters",
            daemon=True,
        ).start()
    threading.Thread(
        target=run_on_schedule,
        args=(import_watchdog, args.watch_seconds),
        name="watchdog",
        daemon=True,
    ).start()
    pump_concurrently(
        import_worker,
        settings.import_queue_url,
        concurrency=max(1, args.concurrency),
        timeout_ms=args.timeout_ms,
        lease_seconds=args.lease_seconds,
        requests=requests,
    )


if __name__ == "__main__":
    main()
