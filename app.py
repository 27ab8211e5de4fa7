"""Sitebook's Chalice app: creates it and registers the API and the import worker; nothing else."""

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
