"""The work queue's bodies parsed: S3 notifications (uploads, drops, test events), follow-ons."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.messages import (
    ContinueImport,
    FileDropped,
    UndoRequested,
    UploadArrived,
    messages_of,
    undo_body,
)

EVENTS = Path(__file__).resolve().parents[1] / "events"


def test_s3_keys_are_url_decoded_and_prefixes_decide_the_work():
    event = json.loads((EVENTS / "s3_object_created_in_sqs.json").read_text())
    (message,) = messages_of(event["Records"][0]["body"])
    assert message == UploadArrived(
        "TENANT", "IMPORT_ID", "uploads/TENANT/IMPORT_ID/My customers (2024).xlsx", 1024,
        "d41d8cd98f00b204e9800998ecf8427e",
    )  # fmt: skip


def test_test_events_other_prefixes_and_follow_ons():
    test_event = json.loads((EVENTS / "s3_test_event_in_sqs.json").read_text())
    assert messages_of(test_event["Records"][0]["body"]) == []

    def body(key):
        record = {"eventName": "ObjectCreated:Put", "s3": {"object": {"key": key, "size": 1}}}
        return json.dumps({"Records": [record]})

    assert messages_of(body("results/t/i/results.json")) == []
    assert messages_of(body("drops/t/template/results/x.xlsx.results.json")) == []
    assert messages_of(body("drops/t/template/week+1.xlsx")) == [
        FileDropped("t", "drops/t/template/week 1.xlsx", "week 1.xlsx", 1, None, "template")
    ]
    assert messages_of(body("drops/t/MYOB+cards/a.csv")) == [
        FileDropped("t", "drops/t/MYOB cards/a.csv", "a.csv", 1, None, "MYOB cards")
    ]
    follow_on = json.dumps({"kind": "continue", "tenant_id": "t", "import_id": "i", "owner": "o"})
    assert messages_of(follow_on) == [ContinueImport("t", "i", "o")]


def test_an_undo_and_its_follow_on_are_parsed_back():
    assert messages_of(undo_body("t", "i")) == [UndoRequested("t", "i")]
    assert messages_of(undo_body("t", "i", "o")) == [UndoRequested("t", "i", "o")]
