"""The local stack's moto server (devstack/moto_server.py) keeps connections open and answers
beside a long poll: what makes a small request cheap for both ends."""

from __future__ import annotations

import http.client
import json
import threading
import time

import pytest
from moto import mock_aws

from devstack import moto_server

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/{}/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


@pytest.fixture
def served():
    with mock_aws():  # the server's backends are this process's: reset after the test
        server = moto_server.server(["-H", "127.0.0.1", "-p", "0"])
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            yield server.effective_port
        finally:
            server.close()
            thread.join(5)


def call(connection: http.client.HTTPConnection, service: str, target: str, body: dict) -> tuple:
    """(status, Connection header, parsed answer) of one JSON-protocol request."""
    headers = {
        "X-Amz-Target": target,
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": SIGNED.format(service),
    }
    connection.request("POST", "/", body=json.dumps(body), headers=headers)
    reply = connection.getresponse()
    return reply.status, reply.getheader("Connection"), json.loads(reply.read() or b"{}")


def test_requests_share_one_connection(served):
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    answers = [call(connection, "dynamodb", "DynamoDB_20120810.ListTables", {}) for _ in range(3)]
    socket = connection.sock
    answers.append(call(connection, "dynamodb", "DynamoDB_20120810.ListTables", {}))
    assert [(status, header) for status, header, _ in answers] == [(200, None)] * 4
    assert answers[0][2] == {"TableNames": []}
    assert connection.sock is socket  # not closed by the server and opened again


def test_a_long_poll_does_not_hold_up_other_requests(served):
    poller = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    status, _, made = call(poller, "sqs", "AmazonSQS.CreateQueue", {"QueueName": "waits"})
    assert status == 200
    polled: list = []
    waiting = threading.Thread(
        target=lambda: polled.append(
            call(
                poller,
                "sqs",
                "AmazonSQS.ReceiveMessage",
                {"QueueUrl": made["QueueUrl"], "WaitTimeSeconds": 5},
            )  # fmt: skip
        )
    )
    waiting.start()
    time.sleep(0.3)  # the poll is being held
    other = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    assert call(other, "dynamodb", "DynamoDB_20120810.ListTables", {})[0] == 200
    assert waiting.is_alive()  # answered while the poll still waits, not after it
    waiting.join(10)
    assert polled and polled[0][0] == 200 and not polled[0][2].get("Messages")
