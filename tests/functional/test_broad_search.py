"""Broad searches: a lead with more matches than a page is served from its entries or the name
index in name order, wherever its matches lie, and pages exactly as the name index's walk."""

from __future__ import annotations

import random

import pytest

from tests.functional.test_customer_list_shards import walk
from tests.functional.test_customers import create, lookup


@pytest.fixture
def no_walk(monkeypatch):
    from chalicelib.store import customer_search

    def refuse(*args, **kwargs):
        raise AssertionError("the name index was walked")

    monkeypatch.setattr(customer_search, "_walk_names", refuse)


def names(found: list[dict]) -> list[str]:
    return [c["name"] for c in found]


def test_a_broad_lead_whose_matches_lie_deep_in_name_order_gets_a_full_first_page(
    api, monkeypatch, no_walk
):
    """More entries than MAX_CANDIDATES, their customers after every other name: the first
    page is the first matches in name order, not a walk through the names before them."""
    from chalicelib.store import customer_search

    monkeypatch.setattr(customer_search, "MAX_CANDIDATES", 3)
    monkeypatch.setattr(customer_search, "MAX_WALK", 4)  # a walk would return an empty page
    for n in range(8):
        create(api, name=f"Acme {n}", email=f"office{n}@acme.example")
    for n in (5, 2, 6, 0, 4, 1, 3):
        create(api, name=f"Zulu {n}", email=f"deep{n}@zulu.example")

    first = api.get("/v1/customers?q=deep&limit=3").json
    assert names(first["items"]) == ["Zulu 0", "Zulu 1", "Zulu 2"]
    assert names(walk(api, "/v1/customers?q=deep", 3)) == [f"Zulu {n}" for n in range(7)]
    assert names(walk(api, "/v1/customers?q=deep", 7)) == [f"Zulu {n}" for n in range(7)]


def test_a_broad_name_prefix_reads_the_name_index_from_the_cursor_on(api, monkeypatch, no_walk):
    """A name prefix shared by more customers than MAX_CANDIDATES: each page reads the names
    from its cursor on, only until the page and one more are found."""
    from chalicelib.store import customer_search

    monkeypatch.setattr(customer_search, "MAX_CANDIDATES", 4)
    for n in range(6):
        create(api, name=f"Able {n}")
    for n in (3, 7, 0, 5, 1, 6, 2, 4, 8):
        create(api, name=f"Plumbers {n}")
    found = walk(api, "/v1/customers?q=plumb", 2)
    assert names(found) == [f"Plumbers {n}" for n in range(9)]
    assert len({c["id"] for c in found}) == 9


def test_a_lead_past_the_entries_cap_walks_the_names_and_finds_the_same(api, monkeypatch):
    from chalicelib.store import customer_search

    walks = []
    walk_names = customer_search._walk_names
    monkeypatch.setattr(
        customer_search, "_walk_names", lambda *a, **k: walks.append(1) or walk_names(*a, **k)
    )
    for n in (4, 1, 3, 0, 2):
        create(api, name=f"Client {n}", site_address={"suburb": "Broadmeadows"})
    create(api, name="Client Elsewhere", site_address={"suburb": "Carlton"})
    seek = names(walk(api, "/v1/customers?q=broad", 2))
    assert walks == []

    monkeypatch.setattr(customer_search, "MAX_ENTRIES", 4)
    assert names(walk(api, "/v1/customers?q=broad", 2)) == seek == [f"Client {n}" for n in range(5)]
    assert walks  # every page of it was a walk


WORDS = ("harbour", "harbor", "hart", "hill", "high", "hilltop", "hi", "ash", "ashby", "asher")


def test_pages_equal_the_walk_on_a_seeded_register(api, monkeypatch):
    """Random names, e-mails and suburbs sharing prefixes; for each query and filter, the pages
    read with the caps (entries and names picked in name order) list exactly the customers,
    in the order, that walking the name index lists (the caps at 0)."""
    from chalicelib.store import customer_search

    rng = random.Random(12)
    kind = lookup(api, "customer-types", "Commercial")
    for n in range(40):
        create(
            api,
            name=f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {n}",
            email=f"{rng.choice(WORDS)}{n}@mail.example",
            site_address={"suburb": rng.choice(WORDS).title()},
            **({"customer_type_id": kind} if n % 3 == 0 else {}),
        )
    monkeypatch.setattr(customer_search, "MAX_CANDIDATES", 6)
    queries = ["hi", "h", "ash", "harb", "hill high", "a", "asher 1", "hart@", "3"]
    paths = [f"/v1/customers?q={q}" for q in queries]
    paths += [f"/v1/customers?q={q}&customer_type_id={kind}" for q in ("hi", "ash")]
    seek = {path: [c["id"] for c in walk(api, path, 4)] for path in paths}

    monkeypatch.setattr(customer_search, "MAX_CANDIDATES", 0)
    monkeypatch.setattr(customer_search, "MAX_ENTRIES", 0)
    walked = {path: [c["id"] for c in walk(api, path, 4)] for path in paths}
    assert seek == walked
    assert sum(map(len, seek.values())) > 80  # the queries do find customers
    assert all(len(set(ids)) == len(ids) for ids in seek.values())  # none twice
