"""The local stack's stand-in for EventBridge: a scheduled handler called at its interval."""

from __future__ import annotations

import threading

from chalice.app import CloudWatchEvent

from devstack.pump import LambdaContext, run_on_schedule, scheduled_event


def test_the_scheduled_handler_is_called_every_interval_and_a_failure_does_not_stop_it():
    stop, seen = threading.Event(), []

    def handler(event, context):
        seen.append(CloudWatchEvent(event, context).detail_type)
        if len(seen) == 1:
            raise RuntimeError("the first run fails")
        if len(seen) == 3:
            stop.set()

    run_on_schedule(handler, 0.01, stop=stop)

    assert seen == ["Scheduled Event"] * 3


def test_the_event_has_the_fields_chalice_reads_from_eventbridge():
    event = CloudWatchEvent(scheduled_event(0), LambdaContext())

    assert (event.source, event.time, event.detail) == ("aws.events", "1970-01-01T00:00:00Z", {})
