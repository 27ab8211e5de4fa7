"""A target's fields in the tenant's words, asked for again and again while a file is planned."""

from __future__ import annotations

from types import SimpleNamespace

from chalicelib.imports.catalog.fields import fields_for


def labels(fields) -> list[str]:
    return [f.label for f in fields]


def test_each_tenant_sees_the_fields_in_its_own_word_however_often_asked():
    assert labels(fields_for("customers", "Client"))[0] == "Client Name"
    assert labels(fields_for("customers"))[0] == "Customer Name"
    assert labels(fields_for("contacts", "Client"))[0] == "Client Import ID or Name"
    assert labels(fields_for("customers", "Client")) == labels(fields_for("customers", " Client "))


def test_a_callers_list_is_its_own():
    first = fields_for("customers")
    first.clear()
    assert fields_for("customers")


def test_custom_fields_follow_the_catalog_only_in_the_call_that_names_them():
    notes = SimpleNamespace(key="gate_code", label="Gate Code", type="text")
    with_custom = fields_for("customers", custom_fields=[notes])
    assert with_custom[-1].key == "custom_fields.gate_code"
    assert "custom_fields.gate_code" not in {f.key for f in fields_for("customers")}
