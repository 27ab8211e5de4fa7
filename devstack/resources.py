"""Creates the table (and its stream), bucket, queues and notification from infra/resources.json."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "resources.json"


def template() -> dict[str, Any]:
    return json.loads(TEMPLATE.read_text())


@dataclass(frozen=True)
class StackNames:
    table: str
    bucket: str
    queue: str

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}-dlq"

    @property
    def webhook_queue(self) -> str:
        return f"{self.table}-webhooks.fifo"

    @property
    def webhook_dead_letter_queue(self) -> str:
        return f"{self.table}-webhooks-dlq.fifo"

    @classmethod
    def for_stage(cls, stage: str) -> StackNames:
        return cls(f"sitebook-{stage}", f"sitebook-{stage}", f"sitebook-{stage}-imports")


@dataclass(frozen=True)
class Stack:
    names: StackNames
    queue_url: str
    dead_letter_queue_url: str
    webhook_queue_url: str = ""
    webhook_dead_letter_queue_url: str = ""


def _properties(resources: dict, logical_id: str) -> dict[str, Any]:
    return resources[logical_id]["Properties"]


def _cors_rule(rule: dict) -> dict:
    """CloudFormation's CorsRule spelled the way the S3 API spells it."""
    renamed = {"MaxAge": "MaxAgeSeconds", "ExposedHeaders": "ExposeHeaders", "Id": "ID"}
    return {renamed.get(k, k): v for k, v in rule.items()}


def create_stack(names: StackNames, *, dynamodb, s3, sqs) -> Stack:
    """Create every resource the template defines (idempotent), under the given names."""
    resources = template()["Resources"]
    table = _properties(resources, "Table")
    existing = dynamodb.list_tables()["TableNames"]
    if names.table not in existing:
        dynamodb.create_table(
            TableName=names.table,
            BillingMode=table["BillingMode"],
            AttributeDefinitions=table["AttributeDefinitions"],
            KeySchema=table["KeySchema"],
            GlobalSecondaryIndexes=table["GlobalSecondaryIndexes"],
            StreamSpecification={"StreamEnabled": True, **table["StreamSpecification"]},
        )
        dynamodb.update_time_to_live(
            TableName=names.table, TimeToLiveSpecification=table["TimeToLiveSpecification"]
        )
    ttl = table["TimeToLiveSpecification"]
    described = dynamodb.describe_time_to_live(TableName=names.table)["TimeToLiveDescription"]
    if described.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(TableName=names.table, TimeToLiveSpecification=ttl)
    dlq_props = _properties(resources, "ImportDeadLetterQueue")
    dlq_url = sqs.create_queue(
        QueueName=names.dead_letter_queue,
        Attributes={"MessageRetentionPeriod": str(dlq_props["MessageRetentionPeriod"])},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_props = _properties(resources, "ImportQueue")
    redrive = {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": str(queue_props["RedrivePolicy"]["maxReceiveCount"]),
    }
    queue_url = sqs.create_queue(
        QueueName=names.queue,
        Attributes={
            "VisibilityTimeout": str(queue_props["VisibilityTimeout"]),
            "MessageRetentionPeriod": str(queue_props["MessageRetentionPeriod"]),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    bucket = _properties(resources, "Bucket")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(
            Bucket=names.bucket,
            CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name},
        )
    s3.put_bucket_cors(
        Bucket=names.bucket,
        CORSConfiguration={
            "CORSRules": [_cors_rule(r) for r in bucket["CorsConfiguration"]["CorsRules"]]
        },
    )
    s3.put_bucket_notification_configuration(
        Bucket=names.bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": [c["Event"]],
                    "Filter": {"Key": {"FilterRules": c["Filter"]["S3Key"]["Rules"]}},
                }
                for c in bucket["NotificationConfiguration"]["QueueConfigurations"]
            ]
        },
    )
    webhook_url, webhook_dlq_url = _webhook_queues(names, resources, sqs)
    return Stack(names, queue_url, dlq_url, webhook_url, webhook_dlq_url)


def _webhook_queues(names: StackNames, resources: dict, sqs) -> tuple[str, str]:
    """The FIFO delivery queue and its FIFO dead-letter queue; returns both URLs."""
    dlq = _properties(resources, "WebhookDeadLetterQueue")
    dlq_url = sqs.create_queue(
        QueueName=names.webhook_dead_letter_queue,
        Attributes={
            "FifoQueue": "true",
            "MessageRetentionPeriod": str(dlq["MessageRetentionPeriod"]),
        },
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue = _properties(resources, "WebhookQueue")
    redrive = {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": str(queue["RedrivePolicy"]["maxReceiveCount"]),
    }
    url = sqs.create_queue(
        QueueName=names.webhook_queue,
        Attributes={
            "FifoQueue": "true",
            "VisibilityTimeout": str(queue["VisibilityTimeout"]),
            "MessageRetentionPeriod": str(queue["MessageRetentionPeriod"]),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return url, dlq_url
