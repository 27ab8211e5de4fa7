"""Search entries as items (no AWS): one function for the API and the importer, sharded keys."""

from __future__ import annotations

from collections import Counter

from chalicelib.store.import_writes import ImportRecordWriter
from chalicelib.store.search_entries import (
    SEARCH_SHARDS,
    contact_entry_ops,
    customer_entry_ops,
    shard_of,
)

RECORD = {
    "id": "c1",
    "name": "Harbour Plumbing",
    "email": "office@harbour.example",
    "phone_e164": "+61291234567",
    "customer_number": "C000007",
    "site_address": {"line1": "4 Quay St", "suburb": "Haymarket", "postcode": "2000"},
    "status": "active",
}


def keys(ops):
    return sorted((op.action, op.pk, op.sk) for op in ops)


def test_the_api_and_the_importer_write_the_same_search_entries():
    writes = ImportRecordWriter(client=object()).customer_writes(
        "t1", RECORD, None, now="2026-01-01T00:00:00.000Z", by=None
    )
    puts = [w["Put"]["Item"] for w in writes if "Put" in w]  # TransactWriteItems entries
    imported = sorted(
        ("put", item["pk"]["S"], item["sk"]["S"]) for item in puts if "#SEARCH#" in item["pk"]["S"]
    )
    assert imported == keys(customer_entry_ops("t1", RECORD, None))


def words_of(ops):
    """(table word, gsi1 word or None) of each saved entry."""
    return sorted(
        (op.sk.split("#")[0], _gsi1sk(op) and _gsi1sk(op).split("#")[0])
        for op in ops
        if op.action == "put"
    )


def _gsi1sk(op) -> str | None:
    return op.item.get("gsi1sk", {}).get("S")


def test_a_customers_entries_share_its_shard_and_carry_what_a_search_checks():
    ops = customer_entry_ops("t1", RECORD, None)
    shard = shard_of("c1")
    assert {op.pk.rsplit("#", 1)[1] for op in ops} == {str(shard)}
    assert {op.item["gsi1pk"]["S"].rsplit("#", 1)[1] for op in ops} == {str(shard)}
    # Two words per item: one under the table's key, one under gsi1's.
    assert words_of(ops) == [
        ("2000 4 quay st", "91234567"),  # the site address' duplicate key, the postcode's entry
        ("haymarket", "office@harbour.example"),
        ("plumbing", "quay"),
    ]
    assert ops[0].item["gsi1pk"] == {"S": f"t1#SEARCH#9#{shard}"}
    entry = ops[0].item
    assert entry["sort"] == {"S": "harbour plumbing"} and entry["status"] == {"S": "active"}
    assert {"c000007", "291234567", "4", "st", "harbour"} <= set(entry["match"]["SS"])


def test_an_odd_word_out_has_an_entry_without_a_second_key():
    ops = customer_entry_ops("t1", {"id": "c2", "name": "Solo Trader", "status": "active"}, None)
    assert words_of(ops) == [("trader", None)]
    assert "gsi1pk" not in ops[0].item


def test_an_unchanged_customer_rewrites_nothing_and_a_rename_deletes_the_word_that_went():
    assert customer_entry_ops("t1", RECORD, RECORD) == []
    renamed = {**RECORD, "name": "Harbour Gasfitting"}
    ops = customer_entry_ops("t1", renamed, RECORD)
    # The words pair up anew: "plumbing" went, "gasfitting" leads an item of its own.
    assert words_of(ops) == [
        ("2000 4 quay st", "91234567"),
        ("gasfitting", "haymarket"),
        ("office@harbour.example", "quay"),
    ]
    deleted = {op.sk.split("#")[0] for op in ops if op.action == "delete"}
    assert deleted == {"haymarket", "plumbing"}
    assert all(op.item["sort"]["S"] == "harbour gasfitting" for op in ops if op.action == "put")


def test_an_archived_customers_entries_are_rewritten_with_its_status():
    ops = customer_entry_ops("t1", {**RECORD, "status": "archived"}, RECORD)
    assert ops and all(op.item["status"]["S"] == "archived" for op in ops)


def test_a_contacts_entries_point_to_its_customer_and_go_with_it():
    contact = {"id": "k1", "customer_id": "c1", "first_name": "Pat", "last_name": "Lee"}
    made = contact_entry_ops("t1", contact, None)
    assert [(op.sk, _gsi1sk(op)) for op in made] == [("lee#c1#k1", "pat#c1#k1")]
    assert all(op.item["customer_id"]["S"] == "c1" for op in made)
    gone = contact_entry_ops("t1", None, contact)
    assert keys(gone) == [("delete", op.pk, op.sk) for op in made]


def test_shards_spread_customers_evenly():
    counts = Counter(shard_of(f"customer-{n}") for n in range(8000))
    assert set(counts) == set(range(SEARCH_SHARDS))
    assert max(counts.values()) < 1.15 * 8000 / SEARCH_SHARDS
