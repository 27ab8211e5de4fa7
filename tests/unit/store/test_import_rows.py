"""A ledger entry stored compactly and read back whole; a row lost at write time re-keyed."""

from __future__ import annotations

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
