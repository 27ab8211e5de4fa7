"""Writes packed into batches and checkpoint groups, and customer numbers handed out (no AWS)."""

from __future__ import annotations

import json

from chalicelib.imports.write.batches import CheckpointGroup, RowWrite, checkpoint_groups


def row_write(number: int, items: int = 5, **changes) -> RowWrite:
    """A created customer's row with ``items`` puts of its own keys."""
    puts = [
        {"Put": {"Item": {"pk": {"S": f"c{number}"}, "sk": {"S": f"i{i}"}}}} for i in range(items)
    ]
    fields = dict(
        sheet="Customers", row=number, target="customers", action="created", warned=False,
        record_id=f"c{number}", label=f"Customer {number}", creates=True, needs=[], items=puts,
    )  # fmt: skip
    return RowWrite(**(fields | changes))


def test_checkpoints_come_after_about_250_items_with_the_rows_they_finish():
    groups = list(checkpoint_groups([row_write(n, items=10) for n in range(60)]))
    assert [len(g.rows) for g in groups] == [25, 25, 10]
    assert [g.rows_written for g in groups] == [25, 50, 60]


def test_a_stored_group_reads_back_as_it_was_written():
    group = next(checkpoint_groups([row_write(1), row_write(2, needs=["c1"])]))
    stored = json.loads(json.dumps(group.to_json()))
    assert CheckpointGroup.from_json(stored) == group


def test_customer_numbers_come_from_the_block_then_from_more_blocks():
    from chalicelib.imports.write.batches import CustomerNumbers

    reserved = []

    def reserve_more(count):
        reserved.append(count)
        return 500

    numbers = CustomerNumbers(last=12, count=3, reserve_more=reserve_more)
    assert [numbers(), numbers()] == ["C000010", "C000011"] and numbers.unused == 1
    assert [numbers(), numbers()] == ["C000012", f"C{500 - CustomerNumbers.EXTRA_BLOCK + 1:06d}"]
    assert reserved == [CustomerNumbers.EXTRA_BLOCK] and numbers.unused == 0
