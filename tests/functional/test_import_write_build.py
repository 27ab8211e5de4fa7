"""A plan stores each row's records; the write stage builds their items and ledger entries
from what it reads back.

The items a stored group's rows are written with must be exactly the ones the records gave
before they were stored: planning used to build them itself, and a record that read back
different (a number, a nested map, an update's previous version) would write something else.
"""

from __future__ import annotations

import copy

import orjson
import pytest

from tests.functional.test_template_import import FULL_FILE, deliver, record, upload


@pytest.fixture
def spooled(monkeypatch):
    """Each checkpoint group as planning spools it, with the line it is stored as."""
    from chalicelib.imports.write import checkpoints

    groups: list[tuple[object, bytes]] = []
    line = checkpoints._line

    def kept(group):
        stored = line(group)
        groups.append((copy.deepcopy(group), stored))
        return stored

    monkeypatch.setattr(checkpoints, "_line", kept)
    return groups


def built_items(group, tenant: str) -> list[tuple[list[dict], dict | None]]:
    """Each row's items and ledger put as the write stage builds them."""
    from chalicelib.imports.write.checkpoints import IMPORTER, ledger_puts_of
    from chalicelib.store.import_writes import ImportRecordWriter

    group.build(ImportRecordWriter(), tenant, by=IMPORTER, ledger=ledger_puts_of(tenant, "i1"))
    return [(row.items, row.ledger) for row in group.rows]


def test_items_built_from_a_stored_plan_are_the_ones_its_records_give(api, aws, tmp_path, spooled):
    from chalicelib.imports.write.batches import CheckpointGroup

    deliver(upload(api, aws, FULL_FILE, tmp_path=tmp_path)[1])
    spooled.clear()
    later = {  # every kind of write: updates over stored records, claims moved, a default moved
        "customers": [
            {"Customer Name": "Acme Property Management", "Import ID": "PM-1",
             "Customer Number": "A-77", "Phone": "0398765400", "On Hold": "Yes"},
            {"Customer Name": "Bright Sparks Electrical", "Company Name": "Bright Sparks Pty Ltd",
             "Email": "office@bright.example"},
            {"Customer Name": "New Co", "Import ID": "NEW-1"},
        ],
        "sites": [
            {"Customer Name": "12 Smith St", "Billing Customer": "NEW-1", "Site Suburb": "Fitzroy",
             "Site State": "Victoria", "Site Postcode": "3065"},
        ],
        "contacts": [
            {"Customer Import ID or Name": "PM-1", "First Name": "Ann", "Default Contact": "Yes",
             "Mobile": "0412 345 678"},
        ],
        "equipment": [
            {"Customer Import ID or Name": "12 Smith St", "Equipment Name": "Hot water unit",
             "Equipment Number": "HW-2", "Equipment Type": "Hot Water"},
        ],
    }  # fmt: skip
    import_id, key = upload(api, aws, later, tmp_path=tmp_path)
    deliver(key, message_id="m-2")

    done = record(api, import_id)
    assert done["status"] == "succeeded", [e["message"] for e in done["errors"]]
    rows = [row for group, _ in spooled for row in group.rows if row.records]
    assert any(previous for row in rows for _, _, previous in row.records)  # updates
    assert any(len(row.records) > 1 for row in rows)  # the demoted default contact
    for group, line in spooled:
        stored = CheckpointGroup.from_json(orjson.loads(line))
        assert built_items(stored, api.tenant) == built_items(group, api.tenant)
        assert all(row.items or not row.records for row in stored.rows)
        assert all(row.ledger for row in stored.rows)


def test_a_record_value_json_would_not_give_back_stops_the_plan_with_its_reason():
    from chalicelib.imports.write.batches import CheckpointGroup, RowWrite
    from chalicelib.imports.write.checkpoints import _line

    row = RowWrite(
        sheet="Customers", row=2, target="customers", action="created", warned=False,
        record_id="c1", label="A", creates=True, needs=[], items=[],
        records=[["customer", {"id": "c1", "name": "A", "tags": {"x"}}, None]],
    )  # fmt: skip
    with pytest.raises(TypeError, match="a planned record holds a value JSON cannot keep"):
        _line(CheckpointGroup([row], 1, "2026-11-30T00:00:00.000Z"))


def test_a_plan_stored_with_its_items_built_is_written_with_them():
    """A plan spooled before records were carried (an import planned before the deploy)."""
    from chalicelib.imports.write.batches import CheckpointGroup

    items = [{"Put": {"Item": {"pk": {"S": "t#C#c1"}, "sk": {"S": "CUSTOMER"}}}}]
    stored = {
        "rows": [
            {"sheet": "Customers", "row": 2, "target": "customers", "action": "created",
             "warned": False, "record_id": "c1", "label": "A", "creates": True, "needs": [],
             "items": items, "ledger": None}
        ],
        "rows_written": 1,
    }  # fmt: skip
    group = CheckpointGroup.from_json(stored)
    assert built_items(group, "t") == [(items, None)]
