"""Where the importer plugs in: the customers module's rules and store, the AWS clients."""

from __future__ import annotations

from chalicelib.domain import customers as rules
from chalicelib.imports.ports import CustomerRules, Ports, PrepareContext, Record, RecordWriter


class DomainRules:
    """ports.CustomerRules over chalicelib.domain.customers: the API's own validation."""

    def prepare_customer(
        self, data: Record, existing: Record | None, ctx: PrepareContext, record_id: str
    ) -> Record:
        prepared = rules.prepare_customer(
            data,
            existing=existing,
            refs=ctx.refs,
            settings=ctx.settings,
            custom_field_definitions=ctx.custom_fields,
            customer_id=record_id,
        )
        return {**prepared, "id": record_id}

    def prepare_contact(self, data: Record, existing: Record | None, ctx: PrepareContext) -> Record:
        return rules.prepare_contact(data, existing=existing, refs=ctx.refs, settings=ctx.settings)

    def prepare_equipment(
        self, data: Record, existing: Record | None, ctx: PrepareContext
    ) -> Record:
        return rules.prepare_equipment(
            data, existing=existing, refs=ctx.refs, settings=ctx.settings
        )


def customer_rules() -> CustomerRules:
    return DomainRules()


def record_writer() -> RecordWriter:
    from chalicelib.store.import_writes import ImportRecordWriter

    return ImportRecordWriter()


def default_ports() -> Ports:
    """The real rules, store and AWS clients: what the Lambda entry point hands the worker."""
    from chalicelib import aws
    from chalicelib.settings import get_settings

    return Ports(
        get_settings(),
        customer_rules(),
        record_writer(),
        aws.client("s3"),
        aws.client("sqs"),
        aws.client("dynamodb"),
    )
