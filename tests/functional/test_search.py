"""Search as office staff expect it: by address, account, contact, number forms; in name order."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.functional.test_customers import create
from tests.problems import assert_problem


def names(api, q, **params):
    query = "&".join([f"q={quote(q)}", *(f"{k}={v}" for k, v in params.items())])
    reply = api.get(f"/v1/customers?{query}")
    assert reply.status == 200, reply.json
    return [c["name"] for c in reply.json["items"]]


def test_a_site_address_is_found_by_street_suburb_and_postcode(api):
    address = {
        "line1": "12 Harbour St",
        "suburb": "Surry Hills",
        "state": "NSW",
        "postcode": "2010",
    }
    create(api, name="Tenant Flat", site_address=address)
    create(api, name="Elsewhere", site_address={"line1": "1 Ocean Rd", "postcode": "3000"})
    for q in ("harbour", "12 harbour st", "surry hil", "2010", "harbour 2010"):
        assert names(api, q) == ["Tenant Flat"], q
    assert names(api, "harbour 3000") == []


def test_a_billing_account_number_is_found(api):
    agent = create(api, name="Agent")
    create(
        api,
        name="Unit 4",
        billing={"billing_customer_id": agent["id"], "account_number": "AC-7781"},
    )
    assert names(api, "ac-7781") == names(api, "AC7781") == ["Unit 4"]


def test_a_customer_is_found_by_its_contacts_names_until_the_contact_goes(api):
    owner = create(api, name="Harbour Holdings")
    create(api, name="Other Holdings")
    reply = api.post(
        f"/v1/customers/{owner['id']}/contacts", {"first_name": "Priya", "last_name": "Raman"}
    )
    assert reply.status == 201, reply.json
    contact = reply.json
    assert names(api, "raman") == names(api, "priya") == ["Harbour Holdings"]
    assert names(api, "priya holdings") == ["Harbour Holdings"]

    path = f"/v1/customers/{owner['id']}/contacts/{contact['id']}"
    assert api.patch(path, {"last_name": "Iyer"}).status == 200
    assert names(api, "raman") == [] and names(api, "iyer") == ["Harbour Holdings"]
    assert api.delete(path).status in (200, 204)
    assert names(api, "priya") == []


def test_a_contact_of_an_archived_customer_finds_it_only_among_archived(api):
    gone = create(api, name="Gone Ltd")
    api.post(f"/v1/customers/{gone['id']}/contacts", {"first_name": "Wilhelmina"})
    api.delete(f"/v1/customers/{gone['id']}")
    assert names(api, "wilhelmina") == []
    assert names(api, "wilhelmina", status="archived") == ["Gone Ltd"]


def test_search_results_come_in_name_order_like_lists(api):
    for name in ("Zed Smith", "Adam Smithers", "Smith & Sons", "Mary Blacksmith"):
        create(api, name=name)
    create(api, name="Bob Jones", email="smithy@mail.com")
    assert names(api, "smith") == ["Adam Smithers", "Bob Jones", "Smith & Sons", "Zed Smith"]


def test_search_pages_in_name_order_with_a_cursor(api):
    for n in (4, 1, 3, 0, 2):
        create(api, name=f"Page Test {n}", site_address={"suburb": "Pagewood"})
    first = api.get("/v1/customers?q=pagewood&limit=3").json
    rest = api.get(f"/v1/customers?q=pagewood&limit=3&cursor={first['next_cursor']}").json
    assert [c["name"] for c in first["items"] + rest["items"]] == [
        f"Page Test {n}" for n in range(5)
    ]
    assert rest["next_cursor"] is None
    listed = api.get("/v1/customers?limit=3").json["next_cursor"]
    assert_problem(api.get(f"/v1/customers?q=pagewood&cursor={listed}"), 400)


def test_accents_are_ignored_in_sorting_and_searching(api):
    for name in ("Bob Builder", "Ángel Ávila", "Zoë Édith", "Alan Ames"):
        create(api, name=name)
    listed = [c["name"] for c in api.get("/v1/customers").json["items"]]
    assert listed == ["Alan Ames", "Ángel Ávila", "Bob Builder", "Zoë Édith"]
    assert names(api, "angel") == names(api, "ÁNGEL") == names(api, "avila") == ["Ángel Ávila"]
    assert names(api, "edith") == ["Zoë Édith"]
    assert names(api, "a") == ["Alan Ames", "Ángel Ávila"]


def test_a_bare_2_does_not_find_customer_c000002_but_its_number_forms_do(api):
    create(api, name="First")
    second = create(api, name="Second")
    assert second["customer_number"] == "C000002"
    create(api, name="Flat 2", site_address={"line1": "2 Beach Rd", "postcode": "2095"})
    for q in ("C000002", "c2", "000002", "C2 second"):
        assert names(api, q) == ["Second"], q
    assert names(api, "2") == ["Flat 2"]
    assert names(api, "c2 first") == []


def test_phones_are_found_however_they_are_typed(api):
    create(api, name="Landline", phone="02 9123 4567")
    create(api, name="Mobile", mobile="0412 345 678")
    for q in ("02 9123 4567", "9123 4567", "+61 2 9123 4567", "(02) 9123"):
        assert names(api, q) == ["Landline"], q
    for q in ("0412 345 678", "0412345", "+61412345678", "412 345 678"):
        assert names(api, q) == ["Mobile"], q
    assert names(api, "03 9123 4567") == []


def test_a_broad_query_walks_the_name_index_and_still_pages_in_order(api, monkeypatch):
    from chalicelib.store import customer_search

    monkeypatch.setattr(customer_search, "MAX_CANDIDATES", 2)
    monkeypatch.setattr(customer_search, "MAX_ENTRIES", 2)
    for n in (5, 2, 4, 1, 3):
        create(api, name=f"Walker {n}", email=f"walker{n}@mail.com")
    create(api, name="Somebody Else")
    first = api.get("/v1/customers?q=walker&limit=2").json
    assert [c["name"] for c in first["items"]] == ["Walker 1", "Walker 2"]
    seen = [c["name"] for c in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(f"/v1/customers?q=walker&limit=2&cursor={cursor}").json
        seen += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [f"Walker {n}" for n in range(1, 6)]


def test_entries_up_to_the_cap_are_read_whole_however_they_fall_over_the_shards(api, monkeypatch):
    """Each shard's first read takes twice its share of MAX_CANDIDATES (here 2 entries);
    shards cut short are read on, so a lead under the cap is found whole, without walking."""
    from chalicelib.store import customer_search

    monkeypatch.setattr(customer_search, "MAX_CANDIDATES", 15)
    monkeypatch.setattr(customer_search, "MAX_ENTRIES", 15)

    def no_walk(*args, **kwargs):
        raise AssertionError("a lead under the cap walked the name index")

    monkeypatch.setattr(customer_search, "_walk_names", no_walk)
    for n in range(15):  # 15 entries over 16 partitions: some hold more than a first read
        create(api, name=f"Client {n:02d}", email=f"roundup{n}@mail.example")
    assert names(api, "roundup", limit=20) == [f"Client {n:02d}" for n in range(15)]


def test_an_unsupported_sort_is_a_422_not_ignored(api):
    assert api.get("/v1/customers?sort=name").status == 200
    assert api.get("/v1/customers?q=x&sort=name").status == 200
    for path in ("/v1/customers?sort=created_at", "/v1/customers?q=x&sort=-name"):
        assert "sort" in [e["field"] for e in assert_problem(api.get(path), 422)["errors"]]
    assert_problem(api.get("/v1/lookups/customer-types?sort=due_days"), 422)
    assert_problem(api.get("/v1/lookups/payment-terms?sort=name"), 422)


def test_payment_terms_list_by_due_days(api):
    for name, days in (("Net 30", 30), ("COD", 0), ("Net 7", 7), ("Net 14", 14)):
        reply = api.post(
            "/v1/lookups/payment-terms",
            {"name": name, "due_days": days, "due_basis": "invoice_date"},
        )
        assert reply.status == 201, reply.json
    listed = api.get("/v1/lookups/payment-terms").json["items"]
    assert [t["name"] for t in listed] == ["COD", "Net 7", "Net 14", "Net 30"]
    net7 = listed[1]
    assert api.patch(f"/v1/lookups/payment-terms/{net7['id']}", {"due_days": 60}).status == 200
    listed = api.get("/v1/lookups/payment-terms?sort=due_days").json["items"]
    assert [t["name"] for t in listed] == ["COD", "Net 14", "Net 30", "Net 7"]


def test_lookups_sort_ignoring_accents(api):
    for name in ("Zinc", "Élite", "Basic"):
        assert api.post("/v1/lookups/customer-types", {"name": name}).status == 201
    listed = api.get("/v1/lookups/customer-types").json["items"]
    assert [t["name"] for t in listed] == ["Basic", "Élite", "Zinc"]


def test_reindexing_finds_and_sorts_customers_stored_in_the_old_format(api):
    """Customers stored before the sharded entries: old token items, unfolded sort keys."""
    from chalicelib.store.base import TableModel, bind
    from chalicelib.store.customers import CustomerItem, customer_pk
    from chalicelib.store.search_entries import SearchEntryItem
    from chalicelib.store.search_reindex import reindex_search

    angel = create(api, name="Ángel Ávila", site_address={"suburb": "Ultimo"})
    create(api, name="Bob Builder")
    bind()
    # test set-up only: the entries the writes left behind
    entries = [e for e in SearchEntryItem.scan() if e.entity == "search_entry"]
    with TableModel.batch_write() as batch:
        for entry in entries:
            batch.delete(entry)
        old = SearchEntryItem(
            f"{api.tenant}#SEARCH#a", f"avila#{angel['id']}", entity="search_token"
        )
        old.customer_id, old.match = angel["id"], {"avila"}
        batch.save(old)
    item = CustomerItem.get(customer_pk(api.tenant, angel["id"]), "CUSTOMER")
    item.update(actions=[CustomerItem.gsi1sk.set(f"ángel ávila#{angel['id']}")])
    assert names(api, "ultimo") == []
    assert [c["name"] for c in api.get("/v1/customers").json["items"]][-1] == "Ángel Ávila"

    done = reindex_search(api.tenant)

    assert done["old tokens deleted"] == 1 and done["customers re-keyed"] == 1
    assert names(api, "ultimo") == names(api, "angel") == ["Ángel Ávila"]
    assert [c["name"] for c in api.get("/v1/customers").json["items"]] == [
        "Ángel Ávila",
        "Bob Builder",
    ]
    assert reindex_search(api.tenant)["customers re-keyed"] == 0
    assert api.get(f"/v1/customers/{angel['id']}").json["version"] == angel["version"]


def test_reindexing_removes_what_the_duplicate_key_words_and_paired_entries_replaced(api):
    """Customers stored while duplicate keys had items of their own and each indexed word
    (the postcode too) one entry: after the reindex only today's entries are left, so
    moving away leaves no trace."""
    from chalicelib.store.base import TableModel, bind
    from chalicelib.store.search_entries import SearchEntryItem, entry_pk, shard_of
    from chalicelib.store.search_reindex import reindex_search

    site = {"line1": "12 High St", "suburb": "Carlton", "postcode": "3053"}
    flat = create(api, name="Flat", email="jo@acme.example", site_address=site)
    bind()

    def entries():
        found = SearchEntryItem.scan(SearchEntryItem.customer_id == flat["id"])
        return sorted((e.pk, e.sk, e.gsi1sk) for e in found)

    today = entries()
    # test set-up only: the items the former layout wrote, one per word and per key
    for word in ("3053", "carlton", "high", "jo@acme.example"):
        former = SearchEntryItem(
            entry_pk(api.tenant, word, shard_of(flat["id"])), f"{word}#{flat['id']}"
        )
        former.entity, former.customer_id = "search_entry", flat["id"]
        former.match, former.sort, former.status = {word, "flat"}, "flat", "active"
        former.save()
    key = TableModel(f"{api.tenant}#DUPKEY#email#jo@acme.example", flat["id"], entity="x")
    key.save()
    # today's "3053 12 high st" (gsi1: "carlton") item, and 4 former ones ("high" replaced
    # today's "high" + "jo@acme.example" item)
    assert len(entries()) == 5

    done = reindex_search(api.tenant)

    assert entries() == today and list(TableModel.query(key.pk)) == []
    assert done["duplicate-key items deleted"] == 2  # e-mail and site address
    assert names(api, "3053") == names(api, "carlton") == names(api, "jo@") == ["Flat"]
    moved = api.patch(
        f"/v1/customers/{flat['id']}",
        {"site_address": {**site, "postcode": "3054"}},
        headers={"If-Match": f'"{flat["version"]}"'},
    )
    assert moved.status == 200, moved.json
    assert names(api, "3053") == [] and names(api, "3054") == ["Flat"]


def test_a_walk_through_many_pages_of_every_shard_reads_ahead_and_keeps_the_order(api, monkeypatch):
    """A broad lead's walk reads each shard page by page, the next page requested as the one
    before arrives; matches and non-matches interleaved over several pages of every shard
    still come out whole, once each, in name order, page after page."""
    from chalicelib.store import customer_search
    from chalicelib.store.customers import CustomerItem, list_key, read_list

    monkeypatch.setattr(customer_search, "MAX_CANDIDATES", 2)
    monkeypatch.setattr(customer_search, "MAX_ENTRIES", 2)
    walks = []
    walk = customer_search._walk_names
    monkeypatch.setattr(
        customer_search, "_walk_names", lambda *a, **k: walks.append(1) or walk(*a, **k)
    )
    for n in range(24):
        create(api, name=f"Walker {n:02d}" if n % 2 else f"Walker {n:02d} Other")
    # limit 3: two items a request, so ~3 pages of each of the 8 shards
    seen, cursor = [], None
    while True:
        path = "/v1/customers?q=walker%20other&limit=3"
        page = api.get(path + (f"&cursor={cursor}" if cursor else "")).json
        seen += [c["name"] for c in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == [f"Walker {n:02d} Other" for n in range(0, 24, 2)]
    assert len(walks) >= 4  # every page of it was a walk

    key = list_key(api.tenant, "active")
    for page_size in (1, 2, 3, 24):  # one item a page, pages cut mid-shard, one page each
        ahead = [i.gsi1sk for i in read_list("gsi1", key, page_size=page_size, read_ahead=True)]
        assert ahead == [i.gsi1sk for i in read_list("gsi1", key)], page_size
        assert len(ahead) == 24
    # A filter may leave a page short while the shard goes on: read ahead would stop there.
    filtered = CustomerItem.name.startswith("Walker 0")
    with pytest.raises(ValueError, match="no limit or filter"):
        read_list("gsi1", key, page_size=3, read_ahead=True, filter_condition=filtered)
