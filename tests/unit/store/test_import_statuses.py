"""One list of import statuses: the record's groups and the API's schema name the same ones."""

from typing import get_args

from chalicelib.api.import_schemas import ImportRecord
from chalicelib.domain.import_status import ImportStatus
from chalicelib.store.imports import FINISHED, UNDER_WAY


def test_finished_and_under_way_are_statuses_and_never_overlap():
    statuses = set(get_args(ImportStatus))
    assert set(FINISHED) <= statuses and set(UNDER_WAY) <= statuses
    assert not set(FINISHED) & set(UNDER_WAY)


def test_the_api_schema_lists_every_status():
    schema = ImportRecord.model_json_schema()
    assert schema["properties"]["status"]["enum"] == list(get_args(ImportStatus))
