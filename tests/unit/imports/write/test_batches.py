"""Writes packed into batches and checkpoint groups, and customer numbers handed out (no AWS)."""

from __future__ import annotations

from chalicelib.imports.write.batches import Batch, batches, checkpoint_groups


def _put(pk: str, sk: str) -> dict:
    return {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}}}}


def test_batches_hold_25_writes_with_distinct_keys_and_count_finished_rows():
    rows = [[_put(f"p{n}", "a"), _put(f"p{n}", "b")] for n in range(20)] + [
        [_put("p19", "a")]  # a key already in this batch: it starts the next one
    ]
    packed = list(batches(rows))
    assert [len(b.requests) for b in packed] == [25, 15, 1]
    assert [b.rows_written for b in packed] == [12, 20, 21]
    assert isinstance(packed[0], Batch)


def test_checkpoints_come_after_groups_of_batches_with_the_rows_they_finish():
    packed = [Batch([_put(f"p{n}", "a")], n + 1) for n in range(23)]
    groups = list(checkpoint_groups(packed, per_group=10))
    assert [len(g.batches) for g in groups] == [10, 10, 3]
    assert [g.rows_written for g in groups] == [10, 20, 23]


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
