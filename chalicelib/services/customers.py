"""Use cases of customers: find, read, create, change and archive, and list a customer's sites."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.customers import (
    References,
    archives,
    prepare_customer,
    refuse_archiving_a_billing_customer,
)
from chalicelib.services.references import (
    active_ids,
    active_user_ids,
    custom_field_definitions,
    settings_of,
)
from chalicelib.store import customers as store
from chalicelib.store.base import new_id
from chalicelib.store.records import version_matches


def load_references(tenant_id: str) -> References:
    """The tenant's active lookup ids and users a customer may newly refer to (cached briefly)."""
    return References(
        customer_types=active_ids(tenant_id, "customer-types"),
        lead_sources=active_ids(tenant_id, "lead-sources"),
        payment_terms=active_ids(tenant_id, "payment-terms"),
        price_levels=active_ids(tenant_id, "price-levels"),
        users=active_user_ids(tenant_id),
    )


def _prepare(tenant_id: str, data: dict, **kw: Any) -> dict[str, Any]:
    return prepare_customer(
        data,
        refs=load_references(tenant_id),
        settings=settings_of(tenant_id),
        custom_field_definitions=custom_field_definitions(tenant_id),
        **kw,
    )


def find_customers(
    tenant_id: str,
    q: str | None,
    *,
    status: str,
    limit: int,
    cursor: str | None,
    **filters: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of customers sorted by name: those matching ``q`` when given (prefix search, phones
    read in the tenant's default country), else all of them."""
    page = dict(status=status, limit=limit, cursor=cursor, **filters)
    if q:
        from chalicelib.store.customer_search import search_customers

        country = settings_of(tenant_id).default_country
        return search_customers(tenant_id, q, country=country, **page)
    return store.list_customers(tenant_id, **page)


def get_customer(tenant_id: str, customer_id: str) -> dict[str, Any]:
    return store.get_customer(tenant_id, customer_id)


def create_customer(tenant_id: str, data: dict, by: str | None) -> dict[str, Any]:
    """Validate and store a new customer; ValidationFailed or Conflict when it cannot be."""
    customer_id = new_id()
    prepared = _prepare(tenant_id, data, customer_id=customer_id)
    return store.insert_customer(tenant_id, customer_id, prepared, by)


def update_customer(
    tenant_id: str,
    customer_id: str,
    changes: dict,
    *,
    expected_version: int | None,
    by: str | None,
) -> dict[str, Any]:
    """Apply a partial change (a PATCH, an archive); If-Match honoured.

    Conflict when it archives a customer that still bills active sites.
    """
    item = store.require_customer(tenant_id, customer_id)
    version_matches(item, expected_version)
    previous = item.to_record()
    prepared = _prepare(tenant_id, changes, existing=previous)
    if archives(prepared, previous):
        site = store.first_active_site(tenant_id, customer_id)
        refuse_archiving_a_billing_customer(prepared, previous, site)
    return store.save_customer(tenant_id, prepared, previous, by)


def archive_customer(
    tenant_id: str, customer_id: str, *, expected_version: int | None, by: str | None
) -> dict[str, Any]:
    return update_customer(
        tenant_id, customer_id, {"status": "archived"}, expected_version=expected_version, by=by
    )


def list_sites(
    tenant_id: str, customer_id: str, *, status: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The customers billed to ``customer_id``, by name; NotFound for an unknown customer."""
    return store.list_sites(tenant_id, customer_id, status=status, limit=limit, cursor=cursor)


def find_duplicates(tenant_id: str, customer_id: str) -> list[dict[str, Any]]:
    """Customers possibly the same as ``customer_id``: ``[{customer, same: [kinds]}]``, kinds
    from domain.duplicates (email, phone, site_address), found through the search entries
    (a Query per shard per key the customer has, then one BatchGet); NotFound for an unknown id.

    The rule is the importer's (``domain.duplicates.possible_duplicates``); archived
    customers are listed too, with their status."""
    from chalicelib.domain.duplicates import duplicate_keys, possible_duplicates
    from chalicelib.store.duplicates import customers_sharing

    record = store.get_customer(tenant_id, customer_id)
    ids = [i for i in customers_sharing(tenant_id, duplicate_keys(record)) if i != customer_id]
    candidates = {c["id"]: c for c in store.get_customers(tenant_id, ids)}
    found = possible_duplicates(record, candidates.values())
    return [{"customer": candidates[d.of], "same": list(d.reasons)} for d in found]
