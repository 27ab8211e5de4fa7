"""Stage 1 for own-format files: a table and its mapping become the template's SheetRows."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from chalicelib.domain.addresses import ADDRESS_PARTS
from chalicelib.imports.catalog.fields import fields_for
from chalicelib.imports.mapping.columns import Mapping
from chalicelib.imports.mapping.suggest import Suggestion
from chalicelib.imports.read.cells import OverlongCell
from chalicelib.imports.read.dates import decide_date_orders, settle_dates
from chalicelib.imports.read.rows import RowSource, SheetLayout, SheetRow, too_many_rows
from chalicelib.imports.read.tables import Table, restore_text

ANALYSIS_SAMPLE_ROWS = 10
SAMPLE_CELL_CHARS = 200
MAX_SHEETS_LISTED = 50  # the analysis lives on a DynamoDB item; a workbook may have hundreds


def sheet_name(table: Table, file_name: str) -> str:
    """Where row errors say a row is: the workbook's sheet, else the file's name."""
    return table.sheet or file_name


def analysis(table: Table, suggestion: Suggestion, missing_required: list[str]) -> dict[str, Any]:
    """What the user sees before choosing a mapping: the file's shape and our proposal."""
    return {
        "headers": list(table.headers),
        "columns": list(table.columns),
        "header_row": table.header_row,
        "has_headers": table.has_headers,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "sheet": table.sheet,
        "sheets": [info.to_dict() for info in table.sheets[:MAX_SHEETS_LISTED]],
        "sample_rows": [_json_cell_row(r) for r in table.sample(ANALYSIS_SAMPLE_ROWS)],
        "suggestion": [
            {
                "column": c.column,
                "header": c.header,
                "field": c.field,
                "confidence": round(c.confidence, 2),
                "reason": c.reason,
            }
            for c in suggestion.columns
        ],
        "unmapped": [c.header for c in suggestion.unmapped],
        "missing_required": missing_required,
    }


def field_labels(mapping: Mapping) -> dict[str, str]:
    """Each field the mapping fills → the original column(s) it came from, for row errors."""
    labels: dict[str, str] = {}
    # A column mapped to a part a split address also fills is named for that part (the fallback).
    for column in sorted(mapping.columns, key=lambda c: c.transform != "split_address"):
        source = " + ".join(column.sources)
        if column.transform == "split_address":
            keys = [f"{column.prefix}.{part}" for part in ADDRESS_PARTS]
        else:
            keys = list(column.fields)
        labels.update({key: source for key in keys})
    return labels


def own_format_source(
    table: Table, mapping: Mapping, sheet: str, *, max_rows: int, country: str | None = "AU"
) -> RowSource:
    """Every data row mapped to ``{field: raw value}``, numbered as in the file; one layout.

    Date fields are read per column: a first pass over the file lets each date column's own
    values decide its day/month order (``decide_date_orders``), and CSV serials become dates.
    """
    layout = SheetLayout(
        sheet,
        mapping.target,
        tuple(table.headers),
        tuple(None for _ in table.headers),
        field_labels(mapping),
    )
    types = {
        f.key: f.type
        for f in fields_for(mapping.target, mapping.customer_label, mapping.custom_fields)
    }

    date_keys = {key for key, kind in types.items() if kind == "date"}
    learned: list[dict[str, str]] = []  # the column orders, once the first read learned them

    def mapped(values: list[Any]) -> dict[str, Any]:
        return {
            key: _restored(value, types.get(key, "text"), country)
            for key, value in mapping.apply(values).items()
        }

    def read(targets: tuple[str, ...]) -> Iterator[SheetRow]:
        if mapping.target not in targets:
            return
        if not learned:
            rows = (mapped(values) for _, values in islice(table.rows(), max_rows))
            learned.append(decide_date_orders(rows, date_keys) if date_keys else {})
        orders = learned[0]
        for seen, (number, values) in enumerate(table.rows(), start=1):
            if seen > max_rows:
                raise too_many_rows(max_rows)
            fields = settle_dates(mapped(values), date_keys, orders)
            yield SheetRow(sheet, mapping.target, number, tuple(values), fields)

    return RowSource([layout], read)


def _restored(value: Any, field_type: str, country: str | None) -> Any:
    """Excel's numbers back to text where the field is text (phones keep their leading zero)."""
    if isinstance(value, OverlongCell):
        return value  # the planner reports it; never a preview stored as the value
    if field_type in ("phone", "postcode"):
        return restore_text(value, field_type, country)
    if isinstance(value, str):
        return value.strip()
    if field_type in ("text", "email"):
        return restore_text(value, field_type, country)
    return value


def _json_cell_row(values: list[Any]) -> list[Any]:
    """Cells as JSON, long text cut short: the analysis lives on the import's DynamoDB item."""
    cells = [v if v is None or isinstance(v, str | int | float | bool) else str(v) for v in values]
    return [c[:SAMPLE_CELL_CHARS] if isinstance(c, str) else c for c in cells]
