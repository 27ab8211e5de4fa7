"""Sitebook's Chalice app: creates it, registers the API, the import worker and event handlers."""

import logging
import os

from chalice import Chalice

from chalicelib.api import register_api

app = Chalice(app_name="sitebook")
app.log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
logging.getLogger("sitebook").setLevel(os.environ.get("LOG_LEVEL", "INFO"))
register_api(app)


# The queue is named per stage (sitebook-<stage>-imports); `make package` sets the name.
@app.on_sqs_message(
    queue=os.environ.get("IMPORT_QUEUE_NAME", "sitebook-local-imports"), batch_size=1
)
def import_worker(event):
    from chalicelib.imports.worker import handle_import_event

    handle_import_event(event.to_dict(), event.context)


# Messages SQS gave up on after the import queue's maxReceiveCount: their import or export is
# closed as failed, so none stays under way (sitebook-<stage>-imports-dlq).
@app.on_sqs_message(
    queue=os.environ.get("IMPORT_DLQ_NAME", "sitebook-local-imports-dlq"), batch_size=1
)
def import_dead_letters(event):
    from chalicelib.imports.dead_letters import handle_dead_letters

    handle_dead_letters(event.to_dict())


# The table's stream: `make package` names a placeholder that infra/resources.json replaces
# with the table's StreamArn (GetAtt); locally devstack's pump reads the stream instead.
@app.on_dynamodb_record(
    stream_arn=os.environ.get("TABLE_STREAM_ARN", "arn:aws:dynamodb:local:000000000000:table/x"),
    batch_size=100,
    starting_position="TRIM_HORIZON",
)
def change_events(event):
    from chalicelib.events.stream import handle_stream_event

    return handle_stream_event(event.to_dict())


# FIFO, named per stage (sitebook-<stage>-webhooks.fifo); batch size 1: one attempt per message.
@app.on_sqs_message(
    queue=os.environ.get("WEBHOOK_QUEUE_NAME", "sitebook-local-webhooks.fifo"), batch_size=1
)
def webhook_delivery(event):
    from chalicelib.events.delivery import handle_delivery_event

    return handle_delivery_event(event.to_dict())
