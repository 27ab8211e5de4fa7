"""Where the importer gets the customers module's rules and store: the one place to re-point.

STOPGAP: branch `customers` provides chalicelib/domain/customers.py (prepare_customer, …) and
its store helpers; once merged, these two functions return adapters over them and the
``stopgap_customers`` modules go.
"""

from __future__ import annotations

from chalicelib.imports.ports import CustomerRules, RecordWriter


def customer_rules() -> CustomerRules:
    from chalicelib.domain.stopgap_customers import StopgapCustomerRules

    return StopgapCustomerRules()


def record_writer() -> RecordWriter:
    from chalicelib.store.stopgap_customers import StopgapRecordWriter

    return StopgapRecordWriter()
