"""A ledger entry stored compactly and read back whole; a row lost at write time re-keyed."""

from __future__ import annotations

import json
from datetime import date, datetime

from chalicelib.imports.plan.planner import RowOutcome
from chalicelib.imports.write.ledger import ledger_entry, lost_at_write
from chalicelib.store.import_rows import corrected_put, entry_of_put, is_row_put, row_put
from tests.unit.imports.factories import customer_row


def test_an_entry_reads_back_as_written_and_its_outcome_decides_its_index():
    before = {"id": "c1", "name": "Acme", "email": None, "version": 3}
    after = {**before, "email": "a@b.example", "notes": "gate code 12"}
    entry = ledger_entry(RowOutcome(customer_row(), "customer", "updated", after, before), after)

    put = row_put("t", "imp", 7, entry)

    assert is_row_put(put) and entry_of_put(put) == entry
    item = put["PutRequest"]["Item"]
    assert item["sk"]["S"] == "ROW#0000007" and item["gsi1pk"]["S"] == "t#IMPORTROWS#imp#updated"
    assert "gsi2pk" not in item  # not warned

    lost = corrected_put(put, lost_at_write(entry, "changed by someone else"))
    assert lost["PutRequest"]["Item"]["gsi1pk"]["S"] == "t#IMPORTROWS#imp#failed"
    assert lost["PutRequest"]["Item"]["sk"] == item["sk"]
    assert entry_of_put(lost)["outcome"] == "failed"


def test_a_created_rows_values_are_stored_once_not_as_before_and_after_pairs():
    record = {"id": "c1", "name": "Acme", "phone": "0398765432", "version": 1}
    entry = ledger_entry(RowOutcome(customer_row(), "customer", "created", record), record)

    put = row_put("t", "imp", 0, entry)

    assert '"before"' not in put["PutRequest"]["Item"]["entry"]["S"]
    assert entry_of_put(put)["changes"]["phone"] == {"before": None, "after": "0398765432"}


def test_any_value_a_row_carries_reads_back_as_json_would_give_it():
    day, when = date(2021, 3, 4), datetime(2021, 3, 4, 10, 30)
    after = {"id": "c1", "name": "Café Müller", "notes": "☕ 24/7", "version": 1}
    entry = ledger_entry(RowOutcome(customer_row(), "customer", "created", after, None), after)
    entry["errors"] = [{"column": "Installed", "value": when, "message": "is not a date"}]
    entry["warnings"] = [{"column": "Serial", "value": 2**70, "message": "too long"}]
    entry["changes"]["installed"] = {"before": None, "after": day}

    stored = entry_of_put(row_put("t", "imp", 0, entry))

    assert stored == json.loads(json.dumps(entry, default=str))
    assert stored["changes"]["name"]["after"] == "Café Müller"
    assert stored["errors"][0]["value"] == "2021-03-04 10:30:00"  # str(), as json's default
    assert stored["warnings"][0]["value"] == 2**70  # past orjson's 64 bits: json writes it


def test_text_is_stored_as_utf_8_not_escapes():
    after = {"id": "c1", "name": "Café Müller", "version": 1}
    entry = ledger_entry(RowOutcome(customer_row(), "customer", "created", after, None), after)

    text = row_put("t", "imp", 0, entry)["PutRequest"]["Item"]["entry"]["S"]

    assert "Café Müller" in text and "\\u" not in text
