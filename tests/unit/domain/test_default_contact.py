"""The one-default-contact rule, on plain lists of contacts."""

import pytest

from chalicelib.domain.contacts import ContactStanding, DefaultChange, default_change
from chalicelib.domain.errors import ValidationFailed


def contact(contact_id: str, default: bool = False, created: str = "2024-01-01") -> ContactStanding:
    return ContactStanding(contact_id, default, f"{created}T00:00:00Z")


def test_a_customers_first_contact_becomes_the_default():
    assert default_change([], None) == DefaultChange(True)


def test_a_further_contact_is_not_the_default_unless_it_says_so():
    assert default_change([contact("ann", True)], None) == DefaultChange(False)
    assert default_change([contact("ann", True)], None, says=False) == DefaultChange(False)


def test_a_new_contact_saying_default_demotes_the_current_one():
    change = default_change([contact("ann", True), contact("bob")], None, says=True)
    assert change == DefaultChange(True, demote=("ann",))


def test_a_new_contact_becomes_the_default_of_a_customer_without_one():
    assert default_change([contact("ann")], None, says=False) == DefaultChange(True)


def test_making_a_contact_the_default_moves_it_there():
    change = default_change([contact("ann", True), contact("bob")], "bob", says=True)
    assert change == DefaultChange(True, demote=("ann",))


def test_a_change_that_does_not_touch_the_default_writes_nothing_else():
    contacts = [contact("ann", True), contact("bob")]
    assert default_change(contacts, "bob") == DefaultChange(False)
    assert default_change(contacts, "bob", says=False) == DefaultChange(False)
    assert default_change(contacts, "ann", says=True) == DefaultChange(True)


def test_the_default_cannot_be_switched_off_directly():
    with pytest.raises(ValidationFailed) as refused:
        default_change([contact("ann", True), contact("bob")], "ann", says=False)
    assert [e.field for e in refused.value.errors] == ["is_default"]


def test_removing_the_default_hands_it_to_the_oldest_remaining_contact():
    contacts = [
        contact("ann", True, "2024-01-01"),
        contact("cat", False, "2024-03-01"),
        contact("bob", False, "2024-02-01"),
    ]
    assert default_change(contacts, "ann", removing=True) == DefaultChange(False, promote="bob")


def test_removing_another_contact_or_the_last_one_promotes_nobody():
    assert default_change([contact("ann", True), contact("bob")], "bob", removing=True) == (
        DefaultChange(False)
    )
    assert default_change([contact("ann", True)], "ann", removing=True) == DefaultChange(False)
