"""Downloads are named from the user's file, safely: cleaned at upload, encoded in the link."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlparse

from tests.functional.test_template_import import deliver, record, upload
from tests.problems import assert_problem


def disposition(url: str) -> str:
    """The Content-Disposition S3 will answer the presigned GET with."""
    return parse_qs(urlparse(url).query)["response-content-disposition"][0]


def test_a_file_name_with_quotes_controls_and_a_bidi_override_is_stored_clean(api):
    reply = api.post("/v1/imports", {"file_name": 'Q3 "final"\x07 list\u202excl.xlsx'})

    assert reply.status == 201, reply.json
    assert reply.json["file_name"] == "Q3 final listxcl.xlsx"
    assert reply.json["upload"]["fields"]["key"].endswith("/Q3 final listxcl.xlsx")
    assert api.get(f"/v1/imports/{reply.json['id']}").json["file_name"] == "Q3 final listxcl.xlsx"


def test_a_file_name_that_is_nothing_but_invisible_characters_is_refused(api):
    assert_problem(api.post("/v1/imports", {"file_name": "\u202e\u200b"}), 422, field="file_name")


def test_a_file_name_with_folders_or_of_another_kind_is_refused_saying_what_is_allowed(api):
    body = assert_problem(api.post("/v1/imports", {"file_name": "exports/a.csv"}), 422)
    assert body["errors"] == [
        {
            "field": "file_name",
            "message": "must be the file's own name, without folders (no / or \\)",
        }
    ]
    body = assert_problem(
        api.post("/v1/imports", {"file_name": "list.pdf", "source": "own_format"}), 422
    )
    assert body["errors"][0]["message"] == (
        "must end in .csv, .txt, .tsv, .xlsx or .xlsm for an own-format import"
    )
    for allowed in ("list.tsv", "list.xlsm", "LIST.TXT"):
        reply = api.post("/v1/imports", {"file_name": allowed, "source": "own_format"})
        assert reply.status == 201, (allowed, reply.json)


def test_result_and_error_downloads_carry_an_ascii_and_a_utf8_name(api, aws, tmp_path):
    rows = {"customers": [{"Customer Name": "Ok"}, {"Customer Name": "ok"}]}
    import_id, key = upload(api, aws, rows, tmp_path=tmp_path, name="Clientes de Ángel.xlsx")
    deliver(key)

    done = record(api, import_id)

    errors = disposition(done["errors_url"])
    assert errors.startswith('attachment; filename="errors-Clientes de Angel.xlsx"; ')
    assert unquote(errors.split("filename*=UTF-8''")[1]) == "errors-Clientes de Ángel.xlsx"
    results = disposition(done["results_url"])
    assert 'filename="results-Clientes de Angel.json"' in results


def test_the_template_download_is_an_attachment_with_both_names(api):
    link = api.get("/v1/imports/template").json["url"]

    assert disposition(link) == (
        'attachment; filename="sitebook-import-template.xlsx"; '
        "filename*=UTF-8''sitebook-import-template.xlsx"
    )
