"""Match rules and possible duplicates end to end: imports with match_on, mode and blank_cells,
duplicate warnings, and GET /v1/customers/{id}/duplicates (moto in process)."""

from __future__ import annotations

from tests.functional.test_own_format_import import create
from tests.functional.test_template_import import deliver, record, upload

CSV_MAPPING = {
    "columns": [
        {"source": "Name", "field": "name"},
        {"source": "Email", "field": "email"},
        {"source": "Phone", "field": "phone"},
        {"source": "Notes", "field": "notes"},
    ]
}


def csv(*rows: str) -> bytes:
    return ("Name,Email,Phone,Notes\r\n" + "\r\n".join(rows) + "\r\n").encode()


def own_import(api, aws, body: bytes, message: str, **options) -> dict:
    """Run an own-format CSV of customers (CSV_MAPPING) with ``options``; its finished record."""
    import_id, key = create(
        api, aws, body, file_name="customers.csv", target="customers", mapping=CSV_MAPPING,
        **options,
    )  # fmt: skip
    deliver(key, message_id=message)
    return record(api, import_id)


def customer(api, **values) -> dict:
    made = api.post("/v1/customers", values)
    assert made.status == 201, made.json
    return made.json


def fetched(api, customer_id: str) -> dict:
    return api.get(f"/v1/customers/{customer_id}").json


def names(api) -> list[str]:
    return sorted(c["name"] for c in api.get("/v1/customers?limit=200").json["items"])


def test_match_on_email_updates_the_customer_with_that_address_ignoring_case(api, aws):
    acme = customer(api, name="Acme", email="Accounts@Acme.example")
    done = own_import(
        api, aws, csv("Acme Pty Ltd,accounts@ACME.example,,renamed"), "m-email",
        match_on=["email", "name"],
    )  # fmt: skip
    assert done["status"] == "succeeded", done["errors"]
    assert done["counts"]["customers"]["updated"] == 1
    assert done["match_rules"] == {
        "match_on": ["email", "name"], "mode": "upsert", "blank_cells": "keep",
    }  # fmt: skip
    after = fetched(api, acme["id"])
    assert (after["name"], after["notes"]) == ("Acme Pty Ltd", "renamed")
    assert names(api) == ["Acme Pty Ltd"]


def test_match_on_phone_compares_e164_and_customer_number_its_canonical_form(api, aws):
    phoned = customer(api, name="Beta", phone="03 9876 5432")
    numbered = customer(api, name="Gamma")
    by_phone = own_import(
        api, aws, csv("Beta Plumbing,,+61 3 9876 5432,by phone"), "m-phone", match_on=["phone"]
    )
    assert by_phone["counts"]["customers"]["updated"] == 1, by_phone["errors"]
    assert fetched(api, phoned["id"])["name"] == "Beta Plumbing"

    body = f"Number,Name\r\n{numbered['customer_number'].lower()},Gamma Electrical\r\n".encode()
    mapping = {"columns": [
        {"source": "Number", "field": "customer_number"}, {"source": "Name", "field": "name"},
    ]}  # fmt: skip
    import_id, key = create(
        api, aws, body, file_name="numbers.csv", target="customers", mapping=mapping,
        match_on=["customer_number"],
    )  # fmt: skip
    deliver(key, message_id="m-number")
    done = record(api, import_id)
    assert done["counts"]["customers"]["updated"] == 1, done["errors"]
    assert fetched(api, numbered["id"])["name"] == "Gamma Electrical"


def test_create_only_refuses_a_match_naming_the_customer_and_creates_the_rest(api, aws):
    acme = customer(api, name="Acme")
    done = own_import(api, aws, csv("ACME,,,", "Newco,,,"), "m-create", mode="create_only")
    assert done["status"] == "completed_with_errors"
    assert done["counts"]["customers"]["created"] == 1
    [error] = done["errors"]
    assert (error["row"], error["column"], error["value"]) == (2, "Name", "ACME")
    assert error["message"] == f"already exists as {acme['customer_number']}"
    assert names(api) == ["Acme", "Newco"]


def test_update_only_refuses_a_row_that_matches_nothing(api, aws):
    customer(api, name="Acme")
    done = own_import(
        api, aws, csv("Acme,,,updated", "Nobody,,,new"), "m-update", mode="update_only"
    )
    assert done["counts"]["customers"] == {
        "created": 0, "updated": 1, "unchanged": 0, "failed": 1, "warned": 0,
    }  # fmt: skip
    [error] = done["errors"]
    assert error["column"] == "Name" and error["value"] == "Nobody"
    assert "update_only" in error["message"]
    assert names(api) == ["Acme"]


def test_a_key_two_customers_share_is_a_row_error_naming_both(api, aws):
    one = customer(api, name="Acme North", email="office@acme.example")
    two = customer(api, name="Acme South", email="OFFICE@acme.example")
    done = own_import(
        api, aws, csv("Acme,office@acme.example,,"), "m-two", match_on=["email", "name"]
    )
    assert done["counts"]["customers"]["failed"] == 1
    [error] = done["errors"]
    assert error["column"] == "Email"
    assert one["customer_number"] in error["message"] and two["customer_number"] in error["message"]
    assert error["message"].startswith("matches 2 customers by email")


def test_blank_cells_clear_empties_mapped_fields_and_never_unmapped_ones(api, aws):
    acme = customer(
        api, name="Acme", email="a@acme.example", phone="0398765432", mobile="0412345678",
        notes="gate code",
    )  # fmt: skip
    done = own_import(api, aws, csv("Acme,,,"), "m-clear", blank_cells="clear")
    assert done["counts"]["customers"]["updated"] == 1, done["errors"]
    after = fetched(api, acme["id"])
    assert (after["email"], after["phone"], after["notes"]) == (None, None, None)
    assert after["mobile"] == acme["mobile"]  # no column for it: untouched
    assert after["name"] == "Acme"

    kept = own_import(api, aws, csv("Acme,,,"), "m-keep")
    assert kept["counts"]["customers"]["unchanged"] == 1


def test_blank_cells_clear_in_a_template_never_clears_the_name(api, aws, tmp_path):
    acme = customer(api, name="Acme", import_id="A-1", email="a@acme.example", notes="n")
    rows = {"customers": [{"Import ID": "A-1", "Company Name": "Acme Co"}]}
    import_id, key = upload(api, aws, rows, tmp_path=tmp_path, blank_cells="clear")
    deliver(key, message_id="m-template")
    done = record(api, import_id)
    assert done["counts"]["customers"]["updated"] == 1, done["errors"]
    after = fetched(api, acme["id"])
    assert (after["name"], after["import_id"], after["company_name"]) == ("Acme", "A-1", "Acme Co")
    assert (after["email"], after["notes"]) == (None, None)


def test_a_new_customer_like_an_existing_one_or_an_earlier_row_is_created_with_a_warning(api, aws):
    known = customer(api, name="Acme", phone="03 9876 5432")
    done = own_import(
        api, aws,
        csv("Acme Plumbing,,(03) 9876 5432,", "Beta,beta@x.example,,", "Beta Two,BETA@x.example,,"),
        "m-dup",
    )  # fmt: skip
    assert done["status"] == "completed_with_warnings", done["errors"]
    assert done["counts"]["customers"]["created"] == 3
    assert done["counts"]["customers"]["warned"] == 2
    first, second = done["warnings"]
    assert (first["row"], first["column"], first["value"]) == (2, "Phone", "(03) 9876 5432")
    assert first["message"] == f"possibly the same as {known['customer_number']} (same phone)"
    assert (second["row"], second["column"]) == (4, "Email")
    assert second["message"] == "possibly the same as row 3 of customers.csv (same email)"


def test_duplicates_of_a_customer_by_email_phone_and_site_address(api, aws):
    acme = customer(
        api, name="Acme", email="jo@acme.example", phone="03 9876 5432",
        site_address={"line1": "12 High Street", "postcode": "3000"},
    )  # fmt: skip
    same_phone = customer(api, name="Acme Plumbing", mobile="+61398765432")
    same_site = customer(
        api, name="Flat 1", email="JO@acme.example",
        site_address={"line1": "12 high st.", "postcode": "3000"},
    )  # fmt: skip
    customer(api, name="Other", phone="03 9000 0000", site_address={"line1": "12 High St"})
    # Shares the phone's entry word (the local number), not the phone: not a duplicate.
    customer(api, name="Sydney Office", phone="02 9876 5432")

    found = api.get(f"/v1/customers/{acme['id']}/duplicates")
    assert found.status == 200, found.json
    listed = {d["customer"]["id"]: d["same"] for d in found.json["items"]}
    assert listed == {same_phone["id"]: ["phone"], same_site["id"]: ["email", "site_address"]}

    moved = api.patch(
        f"/v1/customers/{same_phone['id']}", {"mobile": "0412 000 111"},
        headers={"If-Match": f'"{same_phone["version"]}"'},
    )  # fmt: skip
    assert moved.status == 200, moved.json
    again = api.get(f"/v1/customers/{acme['id']}/duplicates").json["items"]
    assert [d["customer"]["id"] for d in again] == [same_site["id"]]
    assert api.get("/v1/customers/nope/duplicates").status == 404


def test_bad_match_rules_are_422_naming_the_field(api, aws):
    cases = [
        ({"match_on": ["email", "fax"]}, "match_on"),
        ({"match_on": ["email", "email"]}, "match_on[1]"),
        ({"match_on": []}, "match_on"),
        ({"mode": "merge"}, "mode"),
        ({"blank_cells": "wipe"}, "blank_cells"),
    ]
    for rules, field in cases:
        reply = api.post("/v1/imports", {"source": "template", "file_name": "t.xlsx", **rules})
        assert reply.status == 422, (rules, reply.json)
        assert reply.headers["Content-Type"].startswith("application/problem+json")
        fields = [e["field"] for e in reply.json["errors"]]
        assert any(f.startswith(field) for f in fields), (rules, fields)

    columns = [{"source": "Name", "field": "name"}]
    mapping = {"headers": ["Name"], "name": "Strict", "target": "customers",
               "mapping": {"columns": columns, "mode": "merge"}}  # fmt: skip
    saved = api.post("/v1/mappings", mapping)
    assert saved.status == 422 and saved.json["errors"][0]["field"] == "mode"


def test_rules_saved_with_a_mapping_apply_when_it_is_reused(api, aws):
    customer(api, name="Acme")
    body = {
        "name": "Create only", "target": "customers",
        "headers": ["Name", "Email", "Phone", "Notes"],
        "mapping": {**CSV_MAPPING, "mode": "create_only"},
    }  # fmt: skip
    saved = api.post("/v1/mappings", body)
    assert saved.status == 201, saved.json
    assert saved.json["mapping"]["mode"] == "create_only"
    import_id, key = create(
        api, aws, csv("Acme,,,"), file_name="again.csv", target="customers",
        mapping_id=saved.json["id"],
    )  # fmt: skip
    deliver(key, message_id="m-saved")
    done = record(api, import_id)
    assert done["match_rules"]["mode"] == "create_only"
    assert done["errors"][0]["message"].startswith("already exists as C")
