"""Sitebook's Chalice app: creates it, registers the API, the import worker, its watchdog and
event handlers."""

import os

from chalice import Chalice, Rate

from chalicelib.api import register_api

# Logs are Powertools' JSON lines on the "sitebook" logger (chalicelib/observability.py), set up
# by the first handler call; Chalice's own plain-text handler on that logger would repeat them.
app = Chalice(app_name="sitebook", configure_logs=False)
register_api(app)


# The queue is named per stage (sitebook-<stage>-imports); `make package` sets the name.
@app.on_sqs_message(
    queue=os.environ.get("IMPORT_QUEUE_NAME", "sitebook-local-imports"), batch_size=1
)
def import_worker(event):
    from chalicelib.imports.worker import handle_import_event
    from chalicelib.observability import flush_metrics, log_context

    log_context(request_id=getattr(event.context, "aws_request_id", None))
    try:
        handle_import_event(event.to_dict(), event.context)
    finally:
        flush_metrics()


# Messages SQS gave up on after the import queue's maxReceiveCount: their import or export is
# closed as failed, so none stays under way (sitebook-<stage>-imports-dlq).
@app.on_sqs_message(
    queue=os.environ.get("IMPORT_DLQ_NAME", "sitebook-local-imports-dlq"), batch_size=1
)
def import_dead_letters(event):
    from chalicelib.imports.dead_letters import handle_dead_letters
    from chalicelib.observability import flush_metrics, log_context

    log_context(request_id=getattr(event.context, "aws_request_id", None))
    try:
        handle_dead_letters(event.to_dict())
    finally:
        flush_metrics()


# Every 5 minutes (imports/watchdog.WATCH_EVERY_MINUTES): imports written by parts that made no
# progress for hours get their parts queued again, then fail; none stays running.
@app.schedule(Rate(5, unit=Rate.MINUTES))
def import_watchdog(event):
    from chalicelib.imports.watchdog import handle_schedule
    from chalicelib.observability import flush_metrics, log_context

    log_context(request_id=getattr(event.context, "aws_request_id", None))
    try:
        handle_schedule()
    finally:
        flush_metrics()


# The table's stream: `make package` names a placeholder that infra/resources.json replaces
# with the table's StreamArn (GetAtt); locally devstack's pump reads the stream instead.
@app.on_dynamodb_record(
    stream_arn=os.environ.get("TABLE_STREAM_ARN", "arn:aws:dynamodb:local:000000000000:table/x"),
    batch_size=100,
    starting_position="TRIM_HORIZON",
)
def change_events(event):
    from chalicelib.events.stream import handle_stream_event
    from chalicelib.observability import flush_metrics, log_context

    log_context(request_id=getattr(event.context, "aws_request_id", None))
    try:
        return handle_stream_event(event.to_dict())
    finally:
        flush_metrics()


# FIFO, named per stage (sitebook-<stage>-webhooks.fifo); batch size 1: one attempt per message.
@app.on_sqs_message(
    queue=os.environ.get("WEBHOOK_QUEUE_NAME", "sitebook-local-webhooks.fifo"), batch_size=1
)
def webhook_delivery(event):
    from chalicelib.events.delivery import handle_delivery_event
    from chalicelib.observability import flush_metrics, log_context

    log_context(request_id=getattr(event.context, "aws_request_id", None))
    try:
        return handle_delivery_event(event.to_dict())
    finally:
        flush_metrics()
