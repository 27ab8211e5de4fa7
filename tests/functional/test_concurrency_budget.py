"""Races and a busy database get the answers clients can act on: 412, and 503 in good time."""

from __future__ import annotations

import json

import pytest

SETTINGS = {"customer_label": "Client", "default_country": "AU", "date_order": "DMY"}


@pytest.fixture
def both_read_before_either_wrote(monkeypatch):
    """Every PUT reads the settings as a tenant without any: two first PUTs racing."""
    from chalicelib.domain.tenant_settings import TenantSettings
    from chalicelib.store import tenant_settings

    monkeypatch.setattr(tenant_settings, "get_tenant_settings", lambda tenant_id: TenantSettings())


def test_two_first_settings_puts_with_if_match_0_give_200_and_412(
    api, both_read_before_either_wrote
):
    first = api.put("/v1/settings", SETTINGS, headers={"If-Match": '"0"'})
    second = api.put(
        "/v1/settings", {**SETTINGS, "customer_label": "Job"}, headers={"If-Match": '"0"'}
    )
    assert first.status == 200 and first.header("ETag") == '"1"'
    assert second.status == 412 and second.content_type == "application/problem+json"


def test_a_first_put_without_if_match_that_loses_the_race_still_fails_cleanly(
    api, both_read_before_either_wrote
):
    assert api.put("/v1/settings", SETTINGS).status == 200
    # The stand-in read keeps answering "version 0", so the retry loses again: a 412,
    # never a 409 or a 500.
    assert api.put("/v1/settings", {**SETTINGS, "customer_label": "Job"}).status == 412


def test_a_put_without_if_match_overwrites_the_stored_settings(api):
    assert api.put("/v1/settings", SETTINGS).status == 200
    again = api.put("/v1/settings", {**SETTINGS, "customer_label": "Job"})
    assert again.status == 200 and again.json["version"] == 2


def test_request_paths_give_up_well_inside_api_gateways_29_seconds():
    from chalicelib.aws import API_BUDGET, WORKER_BUDGET

    assert API_BUDGET.worst_case_seconds() <= 10
    assert API_BUDGET.attempts >= 2  # throttling is retried at least once
    assert WORKER_BUDGET.worst_case_seconds() > API_BUDGET.worst_case_seconds()


def test_pynamodb_and_boto3_clients_use_the_api_budget(api):
    from chalicelib.aws import API_BUDGET, client
    from chalicelib.store.base import TableModel, bind

    bind()
    config = client("dynamodb").meta.config
    assert config.retries["total_max_attempts"] == API_BUDGET.attempts
    assert (config.connect_timeout, config.read_timeout) == (0.5, 1.5)
    pynamo = TableModel._get_connection().connection.client.meta.config
    assert pynamo.retries["total_max_attempts"] == API_BUDGET.attempts
    assert pynamo.read_timeout == API_BUDGET.read_timeout


def test_clients_keep_a_connection_for_each_request_they_run_at_once(aws, monkeypatch):
    from chalicelib import aws as clients
    from chalicelib.settings import reset_settings
    from chalicelib.store.base import READ_THREADS, TableModel, bind, unbind

    bind()
    pynamo = TableModel._get_connection().connection.client.meta.config
    assert pynamo.max_pool_connections >= READ_THREADS  # a search's Queries, all at once
    assert clients.client("dynamodb").meta.config.max_pool_connections == 10

    # the local pump runs this many import handlers in one process, sharing its clients
    monkeypatch.setenv("IMPORT_WRITE_CONCURRENCY", "4")
    reset_settings()
    clients.reset_clients()
    unbind()
    bind()
    assert clients.client("dynamodb").meta.config.max_pool_connections == 40
    assert TableModel._get_connection().connection.client.meta.config.max_pool_connections == 40


def test_the_worker_budget_is_chosen_by_the_environment(aws, monkeypatch):
    from chalicelib.aws import WORKER_BUDGET, retry_budget
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("AWS_RETRY_BUDGET", "worker")
    reset_settings()
    assert retry_budget() == WORKER_BUDGET


def test_throttling_is_retried_then_a_503_with_retry_after(api, monkeypatch):
    from botocore.awsrequest import AWSResponse

    from chalicelib.store.base import bind
    from chalicelib.store.lookups import LookupItem

    monkeypatch.setattr("random.random", lambda: 0.0)  # no backoff sleep in the test
    bind()
    events = LookupItem._get_connection().connection.client.meta.events
    attempts = []

    def throttled(request, **kwargs):
        attempts.append(request.url)
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "Rate of requests exceeds the allowed throughput.",
            }
        ).encode()
        return AWSResponse(
            request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body)
        )

    events.register_first("before-send.dynamodb.Query", throttled)
    try:
        reply = api.get("/v1/lookups/customer-types")
    finally:
        events.unregister("before-send.dynamodb.Query", throttled)
    assert reply.status == 503, reply.json
    assert reply.content_type == "application/problem+json"
    assert reply.header("Retry-After") == "1"
    assert len(attempts) == 3  # the API budget's attempts, then the answer


class _Raw:
    """The raw stream botocore reads a response body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs):
        yield self._body

    def read(self, *args) -> bytes:
        return self._body
