"""The error workbook: failed and warned rows, their original columns plus Error and Warning."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from chalicelib.xlsx.writer import SheetSpec, write_workbook

# The columns the error workbook adds; reading a file skips them, so a fixed file imports again.
ERROR_HEADER = "Error"
WARNING_HEADER = "Warning"
ADDED_HEADERS = (ERROR_HEADER, WARNING_HEADER)

# A row to fix: its original values, why it failed (None: it was written) and which of its
# values were left out (None: none).
RowToFix = tuple[Sequence[Any], str | None, str | None]


def write_error_workbook(
    path: str | os.PathLike[str],
    sheets: Mapping[str, tuple[Sequence[str], Iterable[RowToFix]]],
    properties: Mapping[str, str] | None = None,
) -> None:
    """Write the rows to fix, per sheet, as the original headers plus ``Error`` and ``Warning``.

    ``sheets`` maps a sheet name to ``(headers, [(original values, error, warning), ...])``:
    a failed row has an error (and no warning: all its problems are errors), a row written
    without some of its values has a warning. The user fixes the rows and uploads the file
    again: failed rows are imported, warned rows update the records they made. Both columns
    are ignored on import, and columns already present (a second round) are replaced rather
    than repeated. ``properties``: custom document properties, e.g. the mapping that made the
    file (imports.mapping.recorded), so the fixed file imports again with it.
    """
    write_workbook(
        path,
        (_error_sheet(name, headers, rows) for name, (headers, rows) in sheets.items()),
        properties=properties,
    )


def _error_sheet(name: str, headers: Sequence[str], rows: Iterable[RowToFix]) -> SheetSpec:
    keep = [index for index, header in enumerate(headers) if header not in ADDED_HEADERS]

    def values() -> Iterator[list[Any]]:
        for cells, error, warning in rows:
            original = [cells[index] if index < len(cells) else None for index in keep]
            yield [*original, error, warning]

    return SheetSpec(
        name=name,
        headers=[headers[index] for index in keep] + [ERROR_HEADER, WARNING_HEADER],
        rows=values(),
        column_widths={ERROR_HEADER: 60.0, WARNING_HEADER: 60.0},
        comments={
            ERROR_HEADER: "Why the row was not imported. Ignored when uploaded again.",
            WARNING_HEADER: "The row was imported without these values; fix them and upload"
            " again to complete it. Ignored when uploaded again.",
        },
    )
