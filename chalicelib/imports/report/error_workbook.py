"""The error workbook: an import's failed rows with their original columns and an Error column."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from chalicelib.xlsx.writer import SheetSpec, write_workbook

# The column the error workbook adds; reading a file skips it, so a fixed file imports again.
ERROR_HEADER = "Error"


def write_error_workbook(
    path: str | os.PathLike[str],
    sheets: Mapping[str, tuple[Sequence[str], Iterable[tuple[Sequence[Any], str]]]],
    properties: Mapping[str, str] | None = None,
) -> None:
    """Write the failed rows, per sheet, as the original headers plus an ``Error`` column.

    ``sheets`` maps a sheet name to ``(headers, [(original values, message), ...])``. The user
    fixes the rows and uploads the file again; the ``Error`` column is ignored on import, and an
    ``Error`` column already present (a second round) is replaced rather than repeated.
    ``properties``: custom document properties, e.g. the mapping that made the file
    (imports.mapping.recorded), so the fixed file imports again with it.
    """
    write_workbook(
        path,
        (_error_sheet(name, headers, failed) for name, (headers, failed) in sheets.items()),
        properties=properties,
    )


def _error_sheet(
    name: str, headers: Sequence[str], failed: Iterable[tuple[Sequence[Any], str]]
) -> SheetSpec:
    keep = [index for index, header in enumerate(headers) if header != ERROR_HEADER]

    def rows() -> Iterator[list[Any]]:
        for values, message in failed:
            original = [values[index] if index < len(values) else None for index in keep]
            yield [*original, message]

    return SheetSpec(
        name=name,
        headers=[headers[index] for index in keep] + [ERROR_HEADER],
        rows=rows(),
        column_widths={ERROR_HEADER: 60.0},
        comments={ERROR_HEADER: "Why the row was not imported. Ignored when uploaded again."},
    )
