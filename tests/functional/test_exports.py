"""Exports: the register written as a template workbook that imports back to the same records."""

from __future__ import annotations

import io
import re
import zipfile

from tests.functional.test_template_import import (
    FakeContext,
    deliver,
    record,
    runner,
    s3_bytes,
    stored,
)
from tests.problems import assert_problem

FORMULA = '=HYPERLINK("http://evil.example","Click me")'

REGISTER = {
    "customers": [
        {"Customer Name": "Acme Property Management", "Import ID": "PM-1",
         "Customer Number": "C000777", "Company Name": "Acme Pty Ltd",
         "Customer Type": "Property Manager", "Lead Source": "Referral",
         "Payment Term": "30 EOM", "Assigned User": "Ann Manager", "Phone": "0398765432",
         "Email": "accounts@acme.example", "Billing Address Line 1": "PO Box 1",
         "Billing Suburb": "Melbourne", "Billing State": "VIC", "Billing Postcode": "3000",
         "On Hold": "Yes", "Notes": "Keys at reception"},
        {"Customer Name": FORMULA, "Mobile": "0412345678"},
        {"First Name": "Jo", "Last Name": "Citizen"},
    ],
    "sites": [
        {"Customer Name": "12 Smith St", "Billing Customer": "PM-1", "Site Address Line 1":
         "12 Smith St", "Site Suburb": "Carlton", "Site State": "VIC", "Site Postcode": "3053",
         "Care Of": "Accounts", "Send Invoices To Billing Customer": "Yes"},
        {"Customer Name": "Unit 4", "Billing Customer": "Jo Citizen"},
    ],
    "contacts": [
        {"Customer Import ID or Name": "PM-1", "First Name": "Sam", "Last Name": "Lee",
         "Email": "sam@acme.example", "Role": "Property Manager", "Default Contact": "Yes"},
        {"Customer Import ID or Name": FORMULA, "First Name": "-Dash", "Phone": "0398765432"},
    ],
    "equipment": [
        {"Customer Import ID or Name": "12 Smith St", "Equipment Name": "Hot water unit",
         "Equipment Number": "HW-1", "Equipment Type": "Hot Water", "Make": "Rheem",
         "Installation Date": "2020-01-31", "Warranty Expiry": "2030-01-31"},
    ],
}  # fmt: skip


def prepare_tenant(api) -> None:
    """What must exist before a file may name it: payment terms and users."""
    term = {"name": "30 EOM", "due_days": 30, "due_basis": "end_of_month"}
    assert api.post("/v1/lookups/payment-terms", term).status == 201
    assert api.post("/v1/users", {"name": "Ann Manager", "email": "ann@example.com"}).status == 201


def import_file(api, aws, path, tmp_path, message_id: str) -> dict:
    from chalicelib import aws as clients

    created = api.post("/v1/imports", {"file_name": path.name})
    key = created.json["upload"]["fields"]["key"]
    clients.client("s3").upload_file(str(path), aws.names.bucket, key)
    deliver(key, message_id=message_id)
    return record(api, created.json["id"])


def run_queued_exports(aws) -> int:
    """Hand the queue's export messages to the worker, as the Lambda would receive them."""
    from chalicelib import aws as clients

    sqs = clients.client("sqs")
    got = sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10).get("Messages", [])
    got = [m for m in got if '"kind": "export"' in m["Body"]]  # uploads notified the queue too
    for message in got:
        event = {"Records": [{"messageId": message["MessageId"], "body": message["Body"]}]}
        runner()(event, FakeContext())
    return len(got)


def export_now(api, aws, body=None) -> dict:
    created = api.post("/v1/exports", body or {})
    assert created.status == 202, created.json
    assert created.json["status"] == "queued" and created.json["url"] is None
    assert run_queued_exports(aws) == 1
    done = api.get(f"/v1/exports/{created.json['id']}")
    assert done.status == 200 and done.json["status"] == "succeeded", done.json
    return done.json


def comparable(api) -> dict:
    """The register with ids replaced by what a person sees: names of lookups and customers."""
    index = stored(api.tenant)
    lookups = {
        item["id"]: item["name"]
        for kind in (
            "customer-types",
            "lead-sources",
            "payment-terms",
            "contact-roles",
            "equipment-types",
        )
        for item in api.get(f"/v1/lookups/{kind}").json["items"]
    }
    users = {u["id"]: u["name"] for u in api.get("/v1/users").json["items"]}
    names = {c["id"]: c["name"] for c in index.customers.values()}
    dropped = ("id", "version", "created_at", "updated_at", "created_by", "updated_by")

    def plain(record: dict) -> dict:
        out = {k: v for k, v in record.items() if k not in dropped}
        for key, value in record.items():
            if key.endswith("_id") and key != "import_id" and value:
                out[key] = names.get(value) or lookups.get(value) or users.get(value)
        if out.get("billing"):
            billing = dict(out["billing"])
            billing["billing_customer_id"] = names.get(billing.get("billing_customer_id"))
            out["billing"] = billing
        return out

    return {
        "customers": sorted((plain(c) for c in index.customers.values()), key=str),
        "contacts": sorted((plain(c) for c in index.contacts.values()), key=str),
        "equipment": sorted((plain(e) for e in index.equipment.values()), key=str),
    }


def test_an_export_imports_into_an_empty_tenant_as_the_same_records(api, aws, tmp_path):
    from chalicelib.imports.template import write_filled_template

    prepare_tenant(api)
    source = tmp_path / "register.xlsx"
    write_filled_template(source, REGISTER)
    assert import_file(api, aws, source, tmp_path, "m-1")["status"] == "succeeded"

    done = export_now(api, aws)

    assert done["counts"] == {"customers": 3, "sites": 2, "contacts": 2, "equipment": 1}
    exported = tmp_path / "exported.xlsx"
    exported.write_bytes(s3_bytes(done["url"]))
    from chalicelib.store.tenants import mark_provisioned

    other = api.as_(tenant=f"{api.tenant}-copy")
    mark_provisioned(other.tenant)  # its lists start empty, as the source tenant's did
    prepare_tenant(other)
    result = import_file(other, aws, exported, tmp_path, "m-2")
    assert result["status"] == "succeeded", result["errors"]
    copy = comparable(other)
    assert copy == comparable(api)
    by_name = {c["name"]: c for c in copy["customers"]}
    assert by_name["12 Smith St"]["billing"]["billing_customer_id"] == "Acme Property Management"
    assert by_name["Acme Property Management"]["payment_term_id"] == "30 EOM"
    assert by_name["Acme Property Management"]["assigned_user_id"] == "Ann Manager"
    assert by_name["Acme Property Management"]["customer_number"] == "C000777"
    assert by_name[FORMULA]["mobile_e164"] == "+61412345678"
    assert len(copy["contacts"]) == 2 and copy["equipment"][0]["warranty_expiry"] == "2030-01-31"


def test_the_export_has_the_template_headers_and_formulas_stay_text(api, aws, tmp_path):
    from openpyxl import load_workbook

    from chalicelib.imports.catalog.fields import fields_for

    prepare_tenant(api)
    source = tmp_path / "register.xlsx"
    from chalicelib.imports.template import write_filled_template

    write_filled_template(source, REGISTER)
    import_file(api, aws, source, tmp_path, "m-1")

    data = s3_bytes(export_now(api, aws)["url"])

    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["Customers", "Sites", "Contacts", "Equipment"]
    targets = ("customers", "sites", "contacts", "equipment")
    for sheet, target in zip(book.sheetnames, targets, strict=True):
        header = next(book[sheet].iter_rows(max_row=1, values_only=True))
        assert list(header) == [f.label for f in fields_for(target)]
    names = [row[0] for row in book["Customers"].iter_rows(min_row=2, values_only=True)]
    assert FORMULA in names
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in archive.read(n) for n in sheets)


def test_an_export_of_some_targets_writes_only_their_sheets(api, aws, tmp_path):
    from openpyxl import load_workbook

    done = export_now(api, aws, {"targets": ["contacts"]})

    book = load_workbook(io.BytesIO(s3_bytes(done["url"])), read_only=True)
    assert book.sheetnames == ["Contacts"] and done["counts"] == {"contacts": 0}


def test_exports_are_fenced_by_tenant_and_a_repeat_delivery_does_nothing(api, aws):
    created = api.post("/v1/exports", {}).json
    assert_problem(api.as_(tenant="someone-else").get(f"/v1/exports/{created['id']}"), 404)
    assert_problem(api.get("/v1/exports/no-such-export"), 404)
    assert_problem(api.post("/v1/exports", {"targets": ["invoices"]}), 422)

    from chalicelib.exports.service import run_export

    run_export(api.tenant, created["id"], owner="first")
    first = api.get(f"/v1/exports/{created['id']}").json
    run_export(api.tenant, created["id"], owner="again")
    assert api.get(f"/v1/exports/{created['id']}").json["finished_at"] == first["finished_at"]


class DynamoCalls:
    """Spies on the DynamoDB requests the app makes (every client), still sent to moto."""

    def __init__(self, monkeypatch) -> None:
        from botocore.client import BaseClient

        self.calls: list[tuple[str, dict]] = []
        real = BaseClient._make_api_call

        def spy(client, operation, params):
            if client.meta.service_model.service_name == "dynamodb":
                self.calls.append((operation, params))
            return real(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", spy)

    def named(self, operation: str) -> list[dict]:
        return [params for name, params in self.calls if name == operation]

    def partitions_queried(self) -> list[tuple[str, str]]:
        """(index or "table", partition key value) of each Query, in order."""
        found = []
        for params in self.named("Query"):
            name, value = re.match(r"\s*(\S+) = (\S+)", params["KeyConditionExpression"]).groups()
            name = params.get("ExpressionAttributeNames", {}).get(name, name)
            key = params["ExpressionAttributeValues"][value]["S"]
            found.append((params.get("IndexName", "table"), key))
        return found


def register_of(size: int) -> dict:
    """``size`` customers, each with a site, and a contact and a unit of equipment at each."""
    customers = [{"Customer Name": f"Agent {n}", "Import ID": f"A-{n}"} for n in range(size)]
    sites = [{"Customer Name": f"Site {n}", "Billing Customer": f"A-{n}"} for n in range(size)]
    contacts = [
        {"Customer Import ID or Name": name, "First Name": f"Pat {name}"}
        for n in range(size)
        for name in (f"A-{n}", f"Site {n}")
    ]
    equipment = [
        {"Customer Import ID or Name": name, "Equipment Name": "HWS", "Equipment Type": "Hot Water"}
        for n in range(size)
        for name in (f"A-{n}", f"Site {n}")
    ]
    return {"customers": customers, "sites": sites, "contacts": contacts, "equipment": equipment}


def test_the_export_reads_each_child_collection_shard_once_however_many_customers(
    api, aws, tmp_path, monkeypatch
):
    from chalicelib.imports.template import write_filled_template
    from chalicelib.store.children import collection_shard_pks

    queries = {}
    for size in (2, 12):
        tenant = api.as_(tenant=f"{api.tenant}-{size}")
        source = tmp_path / f"register-{size}.xlsx"
        write_filled_template(source, register_of(size))
        assert import_file(tenant, aws, source, tmp_path, f"m-{size}")["status"] == "succeeded"
        spy = DynamoCalls(monkeypatch)

        done = export_now(tenant, aws)

        monkeypatch.undo()
        assert done["counts"] == {
            "customers": size,
            "sites": size,
            "contacts": 2 * size,
            "equipment": 2 * size,
        }
        assert spy.named("Scan") == []
        queried = spy.partitions_queried()
        assert not [key for _, key in queried if "#CUSTOMER#" in key]  # no Query per customer
        for collection in ("CONTACTS", "EQUIPMENT"):
            shards = collection_shard_pks(tenant.tenant, collection)
            assert sorted(k for i, k in queried if i == "gsi1" and k in shards) == sorted(shards)
        queries[size] = len(queried)

    assert queries[12] == queries[2]


def test_children_of_archived_customers_are_left_out_like_their_customers(api, aws, tmp_path):
    from openpyxl import load_workbook

    kind = api.post("/v1/lookups/equipment-types", {"name": "Hot Water"}).json["id"]
    kept = api.post("/v1/customers", {"name": "Kept"}).json["id"]
    gone = api.post("/v1/customers", {"name": "Gone"}).json["id"]
    for cid, who in ((kept, "Kim"), (gone, "Gus")):
        contact = api.post(f"/v1/customers/{cid}/contacts", {"first_name": who}).json
        unit = {"name": f"HWS of {who}", "equipment_type_id": kind}
        assert api.post(f"/v1/customers/{cid}/equipment", unit).status == 201
    renamed = api.patch(f"/v1/customers/{gone}/contacts/{contact['id']}", {"first_name": "Guy"})
    assert renamed.status == 200
    assert api.delete(f"/v1/customers/{gone}").status == 200

    done = export_now(api, aws)

    assert done["counts"] == {"customers": 1, "sites": 0, "contacts": 1, "equipment": 1}
    book = load_workbook(io.BytesIO(s3_bytes(done["url"])), read_only=True)
    contacts = list(book["Contacts"].iter_rows(min_row=2, values_only=True))
    equipment = list(book["Equipment"].iter_rows(min_row=2, values_only=True))
    assert [row[:2] for row in contacts] == [("Kept", "Kim")]
    assert [(row[0], row[2]) for row in equipment] == [("Kept", "HWS of Kim")]


CUSTOM_FIELDS = [
    {"key": "gate_code", "label": "Gate Code", "type": "text"},
    {"key": "zone", "label": "Zone", "type": "choice", "options": ["North", "South"]},
    {"key": "strata", "label": "Strata", "type": "boolean"},
    {"key": "units", "label": "Units", "type": "number"},
    {"key": "serviced", "label": "Serviced On", "type": "date"},
    {"key": "site_notes", "label": "Notes", "type": "text"},  # "Notes" is a standard column
]


def define_custom_fields(api) -> None:
    for definition in CUSTOM_FIELDS:
        assert api.post("/v1/custom-fields", definition).status == 201
    retired = api.post("/v1/custom-fields", {"key": "old", "label": "Old", "type": "text"})
    assert api.delete(f"/v1/custom-fields/{retired.json['id']}").status == 200


def test_custom_fields_survive_an_export_imported_into_an_empty_tenant(api, aws, tmp_path):
    prepare_tenant(api)
    define_custom_fields(api)
    acme = api.post(
        "/v1/customers",
        {
            "name": "Acme",
            "import_id": "PM-1",
            "custom_fields": {
                "gate_code": "=1234#",
                "zone": "south",
                "strata": True,
                "units": 12,
                "serviced": "2024-03-31",
                "site_notes": "Dog on site",
            },
        },
    ).json
    api.post(
        "/v1/customers",
        {
            "name": "Unit 4",
            "billing": {"billing_customer_id": acme["id"]},
            "custom_fields": {"strata": False, "units": 2.5},
        },
    )

    done = export_now(api, aws)

    exported = tmp_path / "exported.xlsx"
    exported.write_bytes(s3_bytes(done["url"]))
    other = api.as_(tenant=f"{api.tenant}-copy")
    prepare_tenant(other)
    define_custom_fields(other)
    result = import_file(other, aws, exported, tmp_path, "m-1")
    assert result["status"] == "succeeded", result["errors"]
    copy = comparable(other)
    assert copy == comparable(api)
    by_name = {c["name"]: c for c in copy["customers"]}
    assert by_name["Acme"]["custom_fields"] == {
        "gate_code": "=1234#",
        "zone": "South",
        "strata": True,
        "units": 12,
        "serviced": "2024-03-31",
        "site_notes": "Dog on site",
    }
    assert by_name["Unit 4"]["custom_fields"] == {"strata": False, "units": 2.5}
