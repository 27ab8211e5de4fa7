"""Signatures, the receiver snippet of docs/webhooks.md, URL rules and the retry schedule."""

from __future__ import annotations

import re
import time

import pytest

from chalicelib.events.signing import signature_header, verify
from chalicelib.events.urls import UnsafeUrl, check_url
from tests.conftest import ROOT

BODY = b'{"id":"evt_1","type":"customer.created"}'


def docs_receiver():
    """The first Python block of docs/webhooks.md, run as a receiver would paste it."""
    text = (ROOT / "docs" / "webhooks.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    scope: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), scope)
    return scope["verify_sitebook_signature"]


@pytest.mark.parametrize("check", [verify, docs_receiver()], ids=["ours", "docs"])
def test_a_signed_body_verifies_and_a_changed_one_does_not(check):
    header = signature_header(["whsec_a"], BODY)
    assert check("whsec_a", header, BODY)
    assert not check("whsec_a", header, BODY.replace(b"created", b"deleted"))
    assert not check("whsec_b", header, BODY)


@pytest.mark.parametrize("check", [verify, docs_receiver()], ids=["ours", "docs"])
def test_a_replay_older_than_five_minutes_is_refused(check):
    old = signature_header(["whsec_a"], BODY, timestamp=int(time.time()) - 301)
    recent = signature_header(["whsec_a"], BODY, timestamp=int(time.time()) - 200)
    assert not check("whsec_a", old, BODY)
    assert check("whsec_a", recent, BODY)


@pytest.mark.parametrize("check", [verify, docs_receiver()], ids=["ours", "docs"])
def test_during_a_rotation_either_secret_verifies(check):
    header = signature_header(["whsec_new", "whsec_old"], BODY)
    assert header.count("v1=") == 2
    assert check("whsec_new", header, BODY) and check("whsec_old", header, BODY)


def test_the_header_is_t_then_hex_hmac_of_t_dot_body():
    import hashlib
    import hmac

    header = signature_header(["whsec_a"], BODY, timestamp=1700000000)
    expected = hmac.new(b"whsec_a", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://93.184.215.14/hook", "https"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://localhost:8443/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.7/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://user:pw@93.184.215.14/hook", "user name"),
        ("ftp://93.184.215.14/hook", "https"),
    ],
)
def test_aws_stages_take_only_https_to_public_addresses(url, reason):
    with pytest.raises(UnsafeUrl, match=reason):
        check_url(url, local=False)


def test_a_public_address_passes_and_is_the_one_connected_to():
    target = check_url("https://93.184.215.14:8443/hooks?x=1", local=False)
    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/hooks?x=1")


def test_locally_loopback_http_is_allowed():
    target = check_url("http://127.0.0.1:8123/hook", local=True)
    assert target.scheme == "http" and target.address == "127.0.0.1"


def test_retries_double_up_to_the_cap_and_the_last_comes_24_hours_after_the_first():
    from chalicelib.events.delivery import next_retry
    from chalicelib.settings import Settings

    settings = Settings()
    first, now, waits = 1_000_000.0, 1_000_000.0, []
    while (wait := next_retry(len(waits) + 1, first, now, settings)) is not None:
        waits.append(wait)
        now += wait
    assert waits == [30 * 2**n for n in range(11)] + [24 * 3600 - 30 * (2**11 - 1)]
    assert now - first == 24 * 3600 and len(waits) + 1 == 13  # tries, the first included
    slow = Settings(webhook_retry_base_seconds=3600)
    assert next_retry(5, first, first, slow) == 12 * 3600  # SQS's longest visibility timeout
