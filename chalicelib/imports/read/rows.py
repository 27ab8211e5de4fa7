"""Stage 1: the template's sheets read into rows of raw field values, keyed by catalog field."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.domain.values import is_blank
from chalicelib.imports.catalog.fields import field_by_label, template_custom_fields
from chalicelib.imports.catalog.model import ImportField
from chalicelib.imports.read.cells import read_cell
from chalicelib.imports.read.dates import decide_date_orders, settle_dates
from chalicelib.imports.report.error_workbook import ADDED_HEADERS
from chalicelib.xlsx.reader import iter_sheet_rows, read_header, sheet_names
from chalicelib.xlsx.safety import FileRejected

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

# Template sheet → import target, in the order the template lays them out.
SHEET_TARGETS = {"Sites": "sites", "Contacts": "contacts", "Equipment": "equipment"}


def customer_sheet_name(customer_label: str) -> str:
    """The first sheet is named after what the business calls customers ("Clients", …)."""
    label = (customer_label or "Customer").strip() or "Customer"
    return label if label.endswith("s") else f"{label}s"


@dataclass(frozen=True)
class SheetLayout:
    """One sheet's header: its labels and, per column index, the field it fills (or None).

    ``labels`` names the original column of each field where a mapping, not the header, says so.
    """

    sheet: str
    target: str
    headers: tuple[str, ...]
    columns: tuple[ImportField | None, ...]
    labels: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def mapped_fields(self) -> set[str]:
        """The field keys some column of the sheet fills (by its header, or by a mapping)."""
        return {c.key for c in self.columns if c is not None} | set(self.labels)

    def label_of(self, key: str) -> str:
        if key in self.labels:
            return self.labels[key]
        for column in self.columns:
            if column is not None and column.key == key:
                return column.label
        return key


@dataclass
class SheetRow:
    """One non-blank row: where it is, its original cells and its non-blank fields."""

    sheet: str
    target: str
    row: int
    values: tuple[Any, ...]
    fields: dict[str, Any] = field(default_factory=dict)


def sheet_layout(
    target: str, sheet: str, headers: Iterable[str], customer_label: str, custom_fields=()
) -> SheetLayout:
    headers = tuple(headers)
    columns = tuple(
        None if h in ADDED_HEADERS else field_by_label(target, h, customer_label, custom_fields)
        for h in headers
    )
    return SheetLayout(sheet, target, headers, columns)


def layouts_of(workbook: Workbook, customer_label: str, custom_fields=()) -> list[SheetLayout]:
    """The template sheets present in ``workbook``; FileRejected when none is.

    Columns of the active ``custom_fields`` are read; others are ignored like unknown columns.
    """
    custom_fields = template_custom_fields(custom_fields)
    present = set(sheet_names(workbook))
    wanted = {customer_sheet_name(customer_label): "customers", "Customers": "customers"}
    wanted.update(SHEET_TARGETS)
    layouts, seen_targets = [], set()
    for sheet, target in wanted.items():
        if sheet in present and target not in seen_targets:
            seen_targets.add(target)
            layout = sheet_layout(
                target, sheet, read_header(workbook, sheet), customer_label, custom_fields
            )
            if any(layout.columns):
                layouts.append(layout)
    if not layouts:
        raise FileRejected(
            "This is not the Sitebook import template: no sheet named "
            f"{customer_sheet_name(customer_label)}, Sites, Contacts or Equipment has its columns"
        )
    return layouts


def rows_of(
    layout: SheetLayout, cells: Iterable[tuple[int, tuple[Any, ...]]]
) -> Iterator[SheetRow]:
    """Turn ``(row_number, values)`` into SheetRows; blank cells are left out (they keep values)."""
    for number, values in cells:
        fields = {}
        for column, cell in zip(layout.columns, values, strict=False):
            value = read_cell(cell)  # ="0398…" and '0412… unwrapped, as in own-format files
            if column is not None and not is_blank(value):
                fields[column.key] = value
        yield SheetRow(layout.sheet, layout.target, number, tuple(values), fields)


ALL_TARGETS = ("customers", "sites", "contacts", "equipment")


def too_many_rows(max_rows: int) -> FileRejected:
    return FileRejected(f"The file has more than {max_rows:,} rows, more than one import accepts")


@dataclass(frozen=True)
class RowSource:
    """A file's layouts and a way to read its rows again, some targets at a time.

    The importer reads a file more than once rather than hold its rows: memory stays flat.
    """

    layouts: list[SheetLayout]
    read: Callable[[tuple[str, ...]], Iterator[SheetRow]]

    def rows(self, targets: tuple[str, ...] = ALL_TARGETS) -> Iterator[SheetRow]:
        return self.read(targets)


# How often a read asks whether the invocation still has time: cheap, and a few ms of rows apart.
TIME_CHECK_ROWS = 200


def within_time(source: RowSource, has_time: Callable[[], bool]) -> RowSource:
    """The same rows, checked against the invocation's clock every TIME_CHECK_ROWS rows read.

    When ``has_time()`` turns False the read raises FileRejected, so the import ends ``failed``
    saying so, instead of the Lambda being killed mid-plan and retried to the same end.
    """

    def read(targets: tuple[str, ...]) -> Iterator[SheetRow]:
        for count, row in enumerate(source.read(targets)):
            if count % TIME_CHECK_ROWS == 0 and not has_time():
                raise FileRejected(
                    f"The file could not be checked within one run of the importer (it stopped "
                    f"at row {row.row:,} of {row.sheet}); split it into smaller files and "
                    "import each"
                )
            yield row

    return RowSource(source.layouts, read)


def template_source(
    workbook: Workbook, customer_label: str, *, max_rows: int, custom_fields=()
) -> RowSource:
    """The template sheets of an open read-only workbook, streamed again on every read.

    A sheet's date columns are read as wholes: the first read of the sheet lets each column's
    values decide its day/month order (see ``decide_date_orders``).
    """
    layouts = layouts_of(workbook, customer_label, custom_fields)
    orders: dict[str, dict[str, str]] = {}  # sheet → date column orders, learned once

    def sheet_rows(layout: SheetLayout) -> Iterator[SheetRow]:
        return rows_of(layout, iter_sheet_rows(workbook, layout.sheet, max_rows=max_rows))

    def read(targets: tuple[str, ...]) -> Iterator[SheetRow]:
        seen = 0
        for layout in layouts:
            if layout.target not in targets:
                continue
            date_keys = {c.key for c in layout.columns if c is not None and c.type == "date"}
            if date_keys and layout.sheet not in orders:
                rows = (row.fields for row in sheet_rows(layout))
                orders[layout.sheet] = decide_date_orders(rows, date_keys)
            for row in sheet_rows(layout):
                seen += 1
                if seen > max_rows:
                    raise too_many_rows(max_rows)
                settle_dates(row.fields, date_keys, orders.get(layout.sheet, {}))
                yield row

    return RowSource(layouts, read)
