"""What becomes of each row of a group: written, or lost with an error."""

from __future__ import annotations

import threading

import pytest

from chalicelib.imports.write.rows import RACE_MESSAGE, settled_fields, write_rows
from tests.unit.imports.write.test_batches import row_write


class Register:
    """Answers row writes as DynamoDB's conditions would: rows in ``taken`` lose."""

    def __init__(self, taken=()) -> None:
        self.taken = set(taken)
        self.written: list[int] = []
        self.lock = threading.Lock()

    def write(self, row) -> bool:
        with self.lock:
            if row.row in self.taken:
                return False
            self.written.append(row.row)
            return True


def test_rows_that_lose_a_race_are_errors_and_rows_needing_their_customer_are_not_written():
    rows = [
        row_write(2),
        row_write(3),
        row_write(4, target="contacts", sheet="Contacts", creates=True, needs=["c3"]),
    ]
    register = Register(taken={3})
    results = write_rows(rows, register.write, lost := {})

    assert [r.lost for r in results] == [False, True, True]
    assert results[1].error.message == RACE_MESSAGE
    assert results[2].error.message == f"its customer (row 3 of Customers) was {RACE_MESSAGE}"
    assert sorted(register.written) == [2] and lost == {"c3": "row 3 of Customers"}


def test_a_row_waits_for_the_earlier_rows_sharing_an_item_with_it():
    order: list[int] = []
    shared = {"Put": {"Item": {"pk": {"S": "claim"}, "sk": {"S": "UNIQUE"}}}}
    first_started = threading.Event()

    def write(row) -> bool:
        if row.row == 2:
            first_started.set()
            threading.Event().wait(0.05)  # slower than the row after it would be
        order.append(row.row)
        return True

    rows = [row_write(2, items=1), row_write(3, items=1), row_write(4, items=1)]
    rows[0].items.append(shared)
    rows[2].items.append(shared)
    write_rows(rows, write, {}, workers=4)
    assert order.index(2) < order.index(4)


def test_a_customer_lost_in_an_earlier_group_keeps_its_children_out():
    child = row_write(9, target="contacts", sheet="Contacts", needs=["c3"])
    register = Register()
    (result,) = write_rows([child], register.write, {"c3": "row 3 of Customers"})
    assert result.lost and register.written == []


def test_an_error_while_writing_is_raised_after_the_other_rows_end():
    def write(row) -> bool:
        if row.row == 2:
            raise ConnectionError("DynamoDB away")
        return True

    with pytest.raises(ConnectionError):
        write_rows([row_write(2), row_write(3)], write, {}, workers=2)


def test_lost_rows_move_from_their_action_to_failed_on_the_record():
    class Item:
        counts = {
            "customers": {"created": 2, "updated": 1, "unchanged": 0, "failed": 0, "warned": 1}
        }
        errors = [{"sheet": "Customers", "row": 9, "message": "planned"}]
        errors_total = 1
        rows_lost = 0

    rows = [row_write(2, warned=True), row_write(3, action="updated", creates=False), row_write(4)]
    results = write_rows(rows, Register(taken={2, 3}).write, {})
    fields = settled_fields(Item, results)

    assert fields["counts"]["customers"] == {
        "created": 1, "updated": 0, "unchanged": 0, "failed": 2, "warned": 0,
    }  # fmt: skip
    assert fields["errors_total"] == 3 and len(fields["errors"]) == 3
    assert fields["rows_lost"] == 2
    assert settled_fields(Item, write_rows([row_write(5)], Register().write, {})) == {}
