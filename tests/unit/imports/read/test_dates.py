"""Date columns are read whole: one unambiguous value decides the column's day/month order."""

from __future__ import annotations

from datetime import date

from chalicelib.imports.mapping.columns import parse_mapping
from chalicelib.imports.read.dates import decide_date_orders, settle_dates
from chalicelib.imports.read.own_format import own_format_source
from chalicelib.imports.read.tables import read_table

KEYS = {"installation_date", "commission_date"}


def test_one_day_first_value_decides_the_column():
    rows = [{"installation_date": "02/03/2024"}, {"installation_date": "13/02/2024"}]

    assert decide_date_orders(rows, KEYS) == {"installation_date": "DMY"}


def test_one_month_first_value_decides_the_column_even_when_it_comes_last():
    rows = [{"commission_date": "02/03/2024"}, {"commission_date": "02/13/2024 9:30"}]

    assert decide_date_orders(rows, KEYS) == {"commission_date": "MDY"}


def test_columns_decide_apart_and_undecided_ones_are_left_to_the_tenant():
    rows = [
        {"installation_date": "13/02/2024", "commission_date": "02/13/2024"},
        {"installation_date": "01/02/2024", "commission_date": "01/02/2024"},
    ]
    assert decide_date_orders(rows, KEYS) == {"installation_date": "DMY", "commission_date": "MDY"}
    assert decide_date_orders([{"installation_date": "01/02/2024"}], KEYS) == {}


def test_a_column_that_contradicts_itself_is_left_to_the_tenant():
    rows = [{"installation_date": "13/02/2024"}, {"installation_date": "02/13/2024"}]

    assert decide_date_orders(rows, KEYS) == {}


def test_settled_values_are_dates_and_serials_become_numbers():
    fields = {"installation_date": "03/04/2024", "commission_date": "45383", "name": "03/04/2024"}

    settle_dates(fields, KEYS, {"installation_date": "MDY"})

    assert fields == {
        "installation_date": date(2024, 3, 4),
        "commission_date": 45383.0,
        "name": "03/04/2024",
    }


def test_text_that_is_no_date_is_left_for_the_planner_to_report():
    fields = {"installation_date": "soon"}

    assert settle_dates(fields, KEYS, {"installation_date": "DMY"}) == {"installation_date": "soon"}


def test_an_own_format_file_reads_its_date_columns_in_their_own_order(tmp_path):
    path = tmp_path / "equipment.csv"
    path.write_text(
        "Customer,Equipment Type,Name,Installed,Commissioned\n"
        "Acme,Boiler,B1,04/05/2023,45383\n"
        "Acme,Boiler,B2,04/25/2023,2024-04-01\n"
    )
    table = read_table(str(path), "equipment.csv")
    mapping = parse_mapping(
        {
            "target": "equipment",
            "columns": [
                {"source": "Customer", "field": "customer"},
                {"source": "Equipment Type", "field": "equipment_type"},
                {"source": "Name", "field": "name"},
                {"source": "Installed", "field": "installation_date"},
                {"source": "Commissioned", "field": "commission_date"},
            ],
        },
        table.headers,
        "equipment",
    )

    rows = list(own_format_source(table, mapping, "equipment.csv", max_rows=10).rows())

    assert [r.fields["installation_date"] for r in rows] == [date(2023, 4, 5), date(2023, 4, 25)]
    assert rows[0].fields["commission_date"] == 45383.0
