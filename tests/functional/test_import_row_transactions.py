"""A row's transaction against DynamoDB: written whole, lost whole, or recognised as its own."""

from __future__ import annotations

import pytest

from chalicelib.store.row_transactions import RowWrite

STAMP = "2026-11-29T10:00:00.000Z"


@pytest.fixture
def write(api):
    from chalicelib.aws import client
    from chalicelib.settings import get_settings
    from chalicelib.store.import_writes import ImportRecordWriter
    from chalicelib.store.row_transactions import write_row

    writer = ImportRecordWriter()

    def write_customer(record: dict, previous: dict | None) -> RowWrite:
        items = writer.customer_writes(api.tenant, record, previous, now=STAMP, by="importer")
        return write_row(
            client("dynamodb"), get_settings().table_name, items, creates=previous is None
        )

    return write_customer


def _stored(api) -> dict[str, dict]:
    from chalicelib.store.import_writes import ImportRecordWriter

    return {c["name"]: c for c in ImportRecordWriter().load_customers(api.tenant).values()}


def _items_of(record_id: str) -> list[dict]:
    """Every item naming ``record_id`` (a test may Scan; request paths never do)."""
    from chalicelib.aws import client
    from chalicelib.settings import get_settings

    items = client("dynamodb").scan(TableName=get_settings().table_name)["Items"]
    owners = ("id", "customer_id", "owner_id")
    return [i for i in items if any(i.get(k, {}).get("S") == record_id for k in owners)]


def _new(name: str, **fields) -> dict:
    return {"id": f"row-{name}", "name": name, "customer_number": f"N-{name}", **fields}


def test_a_new_customer_is_written_once_and_its_retry_is_its_own(api, write):
    assert write(_new("Fresh Co"), None) is RowWrite.WRITTEN
    assert write(_new("Fresh Co"), None) is RowWrite.ALREADY_WRITTEN
    kinds = {item["entity"]["S"] for item in _items_of("row-Fresh Co")}
    # Its search entries, if any: a name's leading words are found through the name index.
    assert {"customer", "unique"} <= kinds <= {"customer", "unique", "search_entry"}

    assert api.get("/v1/customers?q=fresh").json["items"][0]["id"] == "row-Fresh Co"


def test_a_name_taken_meanwhile_loses_the_row_and_writes_nothing_of_it(api, write):
    taken = api.post("/v1/customers", {"name": "Taken Co"}).json

    assert write(_new("Taken Co", email="row@taken.example"), None) is RowWrite.LOST

    assert list(_stored(api)) == ["Taken Co"] and _stored(api)["Taken Co"]["id"] == taken["id"]
    assert _items_of("row-Taken Co") == []  # no claim, no search entry, no record
    assert api.post("/v1/customers", {"name": "N", "customer_number": "N-Taken Co"}).status == 201


def test_an_update_is_written_at_the_version_read_and_its_retry_is_its_own(api, write):
    api.post("/v1/customers", {"name": "Kept Co"})
    previous = _stored(api)["Kept Co"]
    record = {**previous, "notes": "imported", "version": previous["version"] + 1}
    record["updated_at"], record["updated_by"] = STAMP, "importer"

    assert write(record, previous) is RowWrite.WRITTEN
    assert write(record, previous) is RowWrite.ALREADY_WRITTEN
    assert _stored(api)["Kept Co"]["version"] == 2


def test_an_update_of_a_record_changed_since_the_plan_loses(api, write):
    created = api.post("/v1/customers", {"name": "Busy Co"}).json
    previous = _stored(api)["Busy Co"]
    api.patch(f"/v1/customers/{created['id']}", {"name": "Busier Co", "notes": "api"})

    renamed = {**previous, "name": "Import Co"}
    assert write(renamed, previous) is RowWrite.LOST

    after = _stored(api)
    assert set(after) == {"Busier Co"} and after["Busier Co"]["notes"] == "api"
    assert api.post("/v1/customers", {"name": "Import Co"}).status == 201  # never claimed
