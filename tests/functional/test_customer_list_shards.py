"""Customer lists spread over shards read as one list: name order, cursors, filters, search."""

from __future__ import annotations

import pytest

from chalicelib.domain.search import sort_key
from chalicelib.store.customers import LIST_SHARDS
from chalicelib.store.search_entries import shard_of
from tests.functional.test_customers import create, lookup
from tests.problems import assert_problem

# Names whose sort keys tie ("Ángel Co" sorts as "angel co"): ordered by id among themselves.
TIES = ("Angel Co", "Ángel Co", "Angél Co", "ÁNGÉL CO.")
OTHERS = ("Zoë Hart", "bravo", "Charlie", "Échelle", "alpha", "Delta Pty", "echo", "Foxtrot")


def walk(api, path: str, limit: int) -> list[dict]:
    """Every item of a list, page by page: each cursor followed until there is none."""
    found, cursor = [], None
    while True:
        joiner = "&" if "?" in path else "?"
        page = f"{path}{joiner}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        reply = api.get(page)
        assert reply.status == 200, reply.json
        found += reply.json["items"]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            return found


def in_name_order(customers: list[dict]) -> list[str]:
    return [c["id"] for c in sorted(customers, key=lambda c: (sort_key(c["name"]), c["id"]))]


@pytest.fixture
def many(api) -> list[dict]:
    made = [create(api, name=name) for name in TIES + OTHERS]
    assert len({shard_of(c["id"], LIST_SHARDS) for c in made}) > 2  # the merge is exercised
    return made


@pytest.mark.parametrize("limit", [1, 3, 5, 50])
def test_a_list_pages_in_name_order_across_shards_without_repeats_or_gaps(api, many, limit):
    listed = walk(api, "/v1/customers", limit)
    assert [c["id"] for c in listed] == in_name_order(many)


def test_a_cursor_gives_the_same_page_again_and_later_names_join_after_it(api, many):
    first = api.get("/v1/customers?limit=4").json
    again = api.get(f"/v1/customers?limit=4&cursor={first['next_cursor']}").json
    assert again == api.get(f"/v1/customers?limit=4&cursor={first['next_cursor']}").json
    early, late = create(api, name="Aardvark"), create(api, name="Zulu")
    rest = walk(api, f"/v1/customers?cursor={first['next_cursor']}", 4)
    # a name before the cursor is not read again on later pages; one after it is
    assert early["id"] not in [c["id"] for c in rest] and rest[-1]["id"] == late["id"]
    assert [c["id"] for c in first["items"] + rest] == in_name_order([*many, late])[:-1] + [
        late["id"]
    ]


def test_a_cursor_of_another_kind_or_forged_is_refused(api, many):
    searched = api.get("/v1/customers?q=angel&limit=1").json["next_cursor"]
    assert searched
    assert_problem(api.get(f"/v1/customers?limit=1&cursor={searched}"), 400)
    assert_problem(api.get("/v1/customers?limit=1&cursor=eyJwayI6eyJTIjoieCJ9fQ"), 400)


def test_filters_page_in_name_order_across_shards(api):
    kind = lookup(api, "customer-types", "Commercial")
    other = lookup(api, "customer-types", "Residential")
    typed = [create(api, name=n, customer_type_id=kind) for n in TIES + OTHERS[:4]]
    create(api, name="Untyped One")
    create(api, name="Other Type", customer_type_id=other)
    listed = walk(api, f"/v1/customers?customer_type_id={kind}", 2)
    assert [c["id"] for c in listed] == in_name_order(typed)


def test_a_billing_customers_sites_page_in_name_order(api):
    agent = create(api, name="Property Agent")
    sites = [
        create(api, name=f"{n} Beach Rd", billing={"billing_customer_id": agent["id"]})
        for n in (12, 3, 40, 7, 25, 1)
    ]
    create(api, name="Not A Site")
    listed = walk(api, f"/v1/customers/{agent['id']}/sites", 2)
    assert [c["id"] for c in listed] == in_name_order(sites)
    refused = api.delete(f"/v1/customers/{agent['id']}")  # it still bills active sites
    assert_problem(refused, 409)


def test_archived_customers_page_in_name_order(api, many):
    gone = many[::2]
    for customer in gone:
        assert api.delete(f"/v1/customers/{customer['id']}").status == 200
    archived = walk(api, "/v1/customers?status=archived", 2)
    assert [c["id"] for c in archived] == in_name_order(gone)
    kept = [c for c in many if c not in gone]
    assert [c["id"] for c in walk(api, "/v1/customers", 3)] == in_name_order(kept)


def test_name_prefix_search_reads_every_shard_in_name_order(api, many):
    found = walk(api, "/v1/customers?q=angel", 2)
    assert [c["id"] for c in found] == in_name_order(many[: len(TIES)])
    assert [c["name"] for c in walk(api, "/v1/customers?q=ech", 1)] == ["Échelle", "echo"]


def test_a_broad_search_walks_the_shards_in_name_order(api, many, monkeypatch):
    """More names and entries than a lead may read: the name index is walked instead."""
    from chalicelib.store import customer_search

    monkeypatch.setattr(customer_search, "MAX_CANDIDATES", 2)
    monkeypatch.setattr(customer_search, "MAX_ENTRIES", 2)
    found = walk(api, "/v1/customers?q=angel", 3)
    assert [c["id"] for c in found] == in_name_order(many[: len(TIES)])


def test_reindexing_moves_customers_stored_before_the_shards_into_them(api):
    """Customers written under the unsharded list keys are not listed until re-indexed."""
    from chalicelib.store.base import bind
    from chalicelib.store.customers import CustomerItem, customer_pk, list_key
    from chalicelib.store.search_reindex import reindex_search

    kind = lookup(api, "customer-types", "Commercial")
    made = [create(api, name=n, customer_type_id=kind) for n in OTHERS]
    bind()
    for customer in made[:5]:  # test set-up only: the keys the unsharded layout wrote
        item = CustomerItem.get(customer_pk(api.tenant, customer["id"]), "CUSTOMER")
        item.update(
            actions=[
                CustomerItem.gsi1pk.set(list_key(api.tenant, "active")),
                CustomerItem.gsi3pk.set(list_key(api.tenant, "active", "TYPE", kind)),
            ]
        )
    assert len(walk(api, "/v1/customers", 50)) == 3

    done = reindex_search(api.tenant)

    assert done["customers re-keyed"] == 5
    assert [c["id"] for c in walk(api, "/v1/customers", 2)] == in_name_order(made)
    typed = walk(api, f"/v1/customers?customer_type_id={kind}", 2)
    assert [c["id"] for c in typed] == in_name_order(made)
    assert reindex_search(api.tenant)["customers re-keyed"] == 0
    read = api.get(f"/v1/customers/{made[0]['id']}").json
    assert read["version"] == made[0]["version"]  # index keys only: the record is unchanged
