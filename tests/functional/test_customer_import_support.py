"""Store functions the importer writes with: items without per-row reads, and the match index."""

from __future__ import annotations

from chalicelib.domain.customers import References, prepare_customer
from chalicelib.domain.tenant_settings import TenantSettings
from tests.problems import assert_problem


def test_batch_written_items_are_found_like_api_created_customers(api):
    from chalicelib.aws import client
    from chalicelib.settings import get_settings
    from chalicelib.store.base import new_id, now_iso
    from chalicelib.store.batch_writes import batch_write
    from chalicelib.store.customers import (
        customer_items,
        load_customer_index,
        reserve_customer_numbers,
    )

    api.post("/v1/customers", {"name": "Made By Api", "import_id": "api-1"})
    prepared = prepare_customer(
        {"name": "Imported Plumbing", "import_id": "row-7", "phone": "0412 345 678"},
        refs=References(),
        settings=TenantSettings(),
    )
    now = now_iso()
    record = {
        **prepared,
        "id": new_id(),
        "customer_number": reserve_customer_numbers(api.tenant, 3)[0],
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": None,
        "updated_by": None,
    }
    puts, deletes = customer_items(api.tenant, record)
    assert deletes == []
    requests = [{"PutRequest": {"Item": item}} for item in puts]
    for start in range(0, len(requests), 25):
        batch_write(client("dynamodb"), get_settings().table_name, requests[start : start + 25])

    found = api.get("/v1/customers?q=imported").json["items"]
    assert [c["import_id"] for c in found] == ["row-7"]
    assert_problem(api.post("/v1/customers", {"name": "imported  plumbing"}), 409)
    index = {entry.name_key: entry for entry in load_customer_index(api.tenant)}
    assert set(index) == {"made by api", "imported plumbing"}
    assert index["imported plumbing"].import_id == "row-7"
    assert index["imported plumbing"].record["phone_e164"] == "+61412345678"
    # the block C000002-C000004 stays reserved; a failed create may leave a gap
    assert api.post("/v1/customers", {"name": "Next"}).json["customer_number"] > "C000004"
