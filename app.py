"""Sitebook's Chalice app: creates it and registers the API and the import worker; nothing else."""

import logging
import os

from chalice import Chalice

from chalicelib.api import register_api

app = Chalice(app_name="sitebook")
app.log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
logging.getLogger("sitebook").setLevel(os.environ.get("LOG_LEVEL", "INFO"))
register_api(app)


@app.on_sqs_message(queue="sitebook-imports", batch_size=1, name="import_worker")
def import_worker(event):
    from chalicelib.imports.worker import handle_import_event

    handle_import_event(event.to_dict(), event.context)
