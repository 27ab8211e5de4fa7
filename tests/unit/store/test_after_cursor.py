"""Cursors of lists read in sort-key order: the last key returned, for one kind of list."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib.domain.errors import BadRequest
from chalicelib.store.base import decode_after, encode_after


def forged(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_cursor_gives_back_the_key_it_was_made_after():
    key = "ángel co#5f0c"
    assert decode_after(encode_after(key, "customers"), "customers") == key
    assert decode_after(None, "customers") is None and decode_after("", "search") is None


@pytest.mark.parametrize(
    "cursor",
    [
        encode_after("alpha#1", "search"),  # another list's
        forged({"after": "alpha#1"}),  # before lists had kinds
        forged({"pk": {"S": "t#CUSTOMERS#active"}, "sk": {"S": "CUSTOMER"}}),  # a former key
        forged({"after": "", "of": "customers"}),  # no key DynamoDB would take
        forged({"after": "x" * 1025, "of": "customers"}),
        forged({"after": 3, "of": "customers"}),
        "not base64 at all!",
        forged([1, 2]),
    ],
)
def test_any_other_cursor_is_a_bad_request(cursor):
    with pytest.raises(BadRequest):
        decode_after(cursor, "customers")
