"""The undo's decisions, from ledger entries and the register as it is now: no AWS."""

from __future__ import annotations

from chalicelib.imports.plan.planner import RowOutcome
from chalicelib.imports.undo.plan import UNDO_BY, plan_undo, touches_of
from chalicelib.imports.write.ledger import ledger_entry, lost_at_write
from tests.unit.imports.factories import customer_row, sheet_row


def customer(id_, version=1, **values):
    return {"id": id_, "name": id_.title(), "version": version, "updated_by": "importer", **values}


def created(id_, **values):
    outcome = RowOutcome(customer_row(name=id_), "customer", "created", customer(id_, **values))
    return ledger_entry(outcome, outcome.record)


def updated(id_, before, after, version=1):
    outcome = RowOutcome(
        customer_row(name=id_), "customer", "updated", after, previous=before | {"version": version}
    )
    return ledger_entry(outcome, outcome.record)


def contact_of(customer_id, id_="c1"):
    record = {"id": id_, "customer_id": customer_id, "first_name": "Jo", "version": 1}
    outcome = RowOutcome(sheet_row("contacts", 2, first_name="Jo"), "contact", "created", record)
    return ledger_entry(outcome, record)


def register(customers=(), contacts=()):
    return {
        "customer": {c["id"]: c for c in customers},
        "contact": {c["id"]: c for c in contacts},
        "equipment": {},
    }


def test_an_update_records_each_changed_field_before_and_after():
    entry = updated("acme", customer("acme", email=None), customer("acme", email="a@b.example"))

    assert entry["outcome"] == "updated" and entry["version"] == 2
    assert entry["changes"] == {"email": {"before": None, "after": "a@b.example"}}


def test_a_row_lost_at_write_time_becomes_a_failed_entry_with_the_reason():
    entry = lost_at_write(created("acme"), "changed by someone else during the import")

    assert entry["outcome"] == "failed" and entry["record_id"] is None and entry["changes"] == {}
    assert entry["errors"][-1]["message"] == "changed by someone else during the import"


def test_created_records_are_removed_children_first_and_updates_restored_first():
    entries = [
        created("acme"),
        contact_of("acme"),
        updated("old", customer("old", phone="1"), customer("old", phone="2")),
    ]
    now = register(
        [customer("acme"), customer("old", version=2, phone="2")],
        [{"id": "c1", "customer_id": "acme", "version": 1}],
    )

    plan = plan_undo(touches_of(entries), now, [], {})

    assert [(a["do"], a["entity"], a["id"]) for a in plan.actions] == [
        ("restore", "customer", "old"),
        ("remove", "contact", "c1"),
        ("remove", "customer", "acme"),
    ]
    assert plan.actions[0]["fields"] == {"phone": "1"} and plan.conflicts == []


def test_a_record_changed_since_is_a_conflict_naming_the_fields_that_differ():
    entries = [updated("old", customer("old", phone="1"), customer("old", phone="2"))]
    now = register([customer("old", version=3, phone="3")])

    plan = plan_undo(touches_of(entries), now, [], {})

    (conflict,) = plan.conflicts
    assert plan.actions == [] and conflict["id"] == "old"
    assert conflict["fields"] == [{"field": "phone", "import_value": "2", "current_value": "3"}]


def test_a_created_customer_keeps_when_something_added_since_is_under_it():
    now = register(
        [customer("acme"), customer("site", billing={"billing_customer_id": "acme"})],
        [{"id": "api-contact", "customer_id": "acme", "version": 1}],
    )

    plan = plan_undo(touches_of([created("acme")]), now, [], {})

    assert plan.actions == []
    assert "1 contact(s), 1 site(s)" in plan.conflicts[0]["reason"]


def test_what_an_earlier_try_reverted_counts_as_done():
    entries = [
        created("gone"),
        updated("old", customer("old", phone="1"), customer("old", phone="2")),
    ]
    back = customer("old", version=3, phone="1") | {"updated_by": UNDO_BY}

    plan = plan_undo(touches_of(entries), register([back]), [], {})

    assert plan.actions == [] and plan.conflicts == [] and plan.already == {"customer": 2}


def test_a_created_lookup_goes_only_when_nothing_that_stays_uses_it():
    noted = [{"kind": "customer-types", "name": "PM", "id": "t1"}]
    lookups = {"t1": {"id": "t1", "kind": "customer-types", "name": "PM", "version": 1}}
    mine = touches_of([created("acme", customer_type_id="t1")])

    used = register(
        [customer("acme", customer_type_id="t1"), customer("api", customer_type_id="t1")]
    )
    assert plan_undo(mine, used, noted, lookups).conflicts[0]["entity"] == "lookup"
    unused = register([customer("acme", customer_type_id="t1")])
    assert plan_undo(mine, unused, noted, lookups).actions[-1]["entity"] == "lookup"
