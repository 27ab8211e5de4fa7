"""Records the table stream's records of real writes (moto in process) as Lambda events.

Run ``.venv/bin/python -m tests.events.record_stream_events`` to rewrite the
``stream_*.json`` files beside it; the functional tests load them as they are.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
TENANT = "acme"


def _lambda_records(records: list[dict]) -> dict:
    """GetRecords' answer in the shape Lambda hands the function (epoch-second timestamps)."""
    shaped = []
    for record in records:
        change = dict(record["dynamodb"])
        change["ApproximateCreationDateTime"] = change["ApproximateCreationDateTime"].timestamp()
        shaped.append(
            {
                **{k: v for k, v in record.items() if k != "dynamodb"},
                "dynamodb": change,
                "eventSourceARN": "arn:aws:dynamodb:ap-southeast-2:123456789012:"
                "table/sitebook-test/stream/2026-01-01T00:00:00.000",
            }
        )
    return {"Records": shaped}


def main() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="ap-southeast-2",
        STAGE="test",
        TABLE_NAME="sitebook-test",
        BUCKET_NAME="sitebook-test",
    )
    from botocore.config import Config
    from moto import mock_aws

    with mock_aws():
        import boto3

        from chalicelib import aws
        from chalicelib.store import contacts, customers, equipment, imports, lookups
        from chalicelib.store.records import new_claim, transact
        from devstack.resources import StackNames, create_stack

        create_stack(
            StackNames.for_stage("test"),
            dynamodb=aws.client("dynamodb"),
            s3=aws.client("s3"),
            sqs=aws.client("sqs"),
        )
        streams = boto3.client(
            "dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")
        )
        arn = aws.client("dynamodb").describe_table(TableName="sitebook-test")["Table"][
            "LatestStreamArn"
        ]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST"
        )["ShardIterator"]

        def take(name: str) -> None:
            nonlocal iterator
            reply = streams.get_records(ShardIterator=iterator)
            iterator = reply["NextShardIterator"]
            path = HERE / f"stream_{name}.json"
            path.write_text(json.dumps(_lambda_records(reply["Records"]), indent=1) + "\n")
            print(f"{path.name}: {len(reply['Records'])} records")

        from chalicelib.domain.lookups import LOOKUP_KINDS

        kind = lookups.create_lookup(
            TENANT, LOOKUP_KINDS["equipment-types"], {"name": "Boiler", "active": True}, "u-1"
        )
        take("lookup")
        customer = customers.create_customer(
            TENANT, {"company_name": "Harbour Cafe", "email": "cafe@example.com"}, "u-1"
        )
        customers.update_customer(
            TENANT, customer["id"], {"phone": "02 9123 4567"}, expected_version=1, by="u-1"
        )
        customers.archive_customer(TENANT, customer["id"], expected_version=2, by="u-1")
        take("customer_lifecycle")
        other = customers.create_customer(TENANT, {"name": "Bay St Flats"}, "u-1")
        take("customer_created")
        contact = contacts.create_contact(TENANT, other["id"], {"first_name": "Ann"}, "u-1")
        contacts.update_contact(
            TENANT, other["id"], contact["id"], {"last_name": "Lee"}, expected_version=1, by="u-1"
        )
        contacts.delete_contact(TENANT, other["id"], contact["id"], expected_version=2)
        take("contact_lifecycle")
        unit = equipment.create_equipment(
            TENANT, other["id"], {"name": "HWS", "equipment_type_id": kind.id}, "u-1"
        )
        equipment.update_equipment(
            TENANT, other["id"], unit["id"], {"serial_number": "SN-1"}, expected_version=1, by="u-1"
        )
        equipment.delete_equipment(TENANT, other["id"], unit["id"], expected_version=2)
        take("equipment_lifecycle")
        from chalicelib.store.records import Op

        transact([Op("save", new_claim(TENANT, "customer-name", "Somebody", "c-1"))])
        take("claim_only")
        item, _ = imports.create_import(
            TENANT, source="template", file_name="book.xlsx", dry_run=False, by="u-1"
        )
        imports.claim_import(item, owner="worker-1", etag=None)
        imports.save_progress(item, owner="worker-1", rows_done=1, rows_total=1)
        imports.finish_import(
            item,
            owner="worker-1",
            status="succeeded",
            counts={"customers": {"created": 1, "updated": 0, "unchanged": 0, "failed": 0}},
        )
        take("import_succeeded")


if __name__ == "__main__":
    main()
