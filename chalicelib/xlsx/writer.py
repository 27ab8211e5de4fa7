"""Writes workbooks (templates, exports, error files) as streamed .xlsx files safe to open."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

LISTS_SHEET = "Lists"
REQUIRED_COMMENT = "Required"
REQUIRED_FILL = "FFF4B183"  # the soft orange spreadsheet users read as "must fill in"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DEFAULT_WIDTH = 18.0
LAST_ROW = 1_048_576
# Excel, LibreOffice and Google Sheets start a formula (or DDE call) with any of these.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_COMMENT_AUTHOR = "Sitebook"
# Control characters XML cannot carry; safe_text drops them rather than let openpyxl raise.
_XML_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
_TITLE_FORBIDDEN = re.compile(r"[:*?/\\]")
MAX_TITLE = 31  # characters in a sheet title, Excel's limit


@dataclass(frozen=True)
class SheetSpec:
    """One sheet to write: header row 1, then ``rows`` streamed as they are produced.

    ``dropdowns`` maps a header to its choices, or to the name of a list given to
    ``write_workbook(lists=...)``; ``column_widths`` and ``comments`` are keyed by header too.
    """

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]] = ()
    required: frozenset[str] | set[str] = frozenset()
    dropdowns: Mapping[str, Sequence[str] | str] = field(default_factory=dict)
    column_widths: Mapping[str, float] = field(default_factory=dict)
    comments: Mapping[str, str] = field(default_factory=dict)
    freeze_header: bool = True


def instructions_sheet(
    title: str, lines: Iterable[str], *, name: str = "Instructions", width: float = 110.0
) -> SheetSpec:
    """A sheet of plain text: ``title`` in bold on row 1, then one bullet per line."""
    return SheetSpec(
        name=name,
        headers=[title],
        rows=([f"• {line}"] for line in lines),
        column_widths={title: width},
        freeze_header=False,
    )


def sheet_title(name: str, taken: Iterable[str] = ()) -> str:
    r"""``name`` made a title every spreadsheet accepts, and unlike the ``taken`` ones.

    Excel refuses ``[ ] : * ? / \`` and more than 31 characters, and openpyxl raises on them
    (an error workbook named after "Clients [2024].csv" once broke an import): brackets become
    parentheses, the rest "-", the text is cut to 31 characters, apostrophes leave its ends.
    A title equal to a taken one, ignoring case, gets " (2)", " (3)"…
    """
    title = _XML_ILLEGAL.sub("", name).replace("[", "(").replace("]", ")")
    title = " ".join(_TITLE_FORBIDDEN.sub("-", title).split()).strip("'")
    title = title[:MAX_TITLE].rstrip().strip("'") or "Sheet"
    folded = {t.casefold() for t in taken}
    candidate, number = title, 2
    while candidate.casefold() in folded:
        suffix = f" ({number})"
        candidate = title[: MAX_TITLE - len(suffix)].rstrip() + suffix
        number += 1
    return candidate


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would evaluate ``text`` typed into a cell."""
    return text.startswith(FORMULA_TRIGGERS)


def safe_text(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    """A string cell holding exactly ``value``, which no spreadsheet will evaluate.

    The cell is typed as a string (so openpyxl does not write ``<f>``) and, when the text
    looks like a formula, carries ``quotePrefix``: Excel shows it as typed with a leading
    apostrophe, and re-saving keeps it text. Reading back gives the same string, except that a
    carriage return comes back as a line feed: XML parsers normalise a raw CR, and openpyxl
    writes it raw.
    """
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet)
    # Control characters cannot exist in XML at all; they are the one thing not kept.
    text = _XML_ILLEGAL.sub("", value)
    cell._value = text
    cell.data_type = "s"
    if is_formula_like(text):
        cell.quotePrefix = True
    return cell


def write_workbook(
    path: str | os.PathLike[str],
    sheets: Iterable[SheetSpec],
    *,
    lists: Mapping[str, Sequence[str]] | None = None,
    properties: Mapping[str, str] | None = None,
) -> None:
    """Stream ``sheets`` to an .xlsx at ``path`` in constant memory.

    Dropdown choices go to a hidden ``Lists`` sheet and are referenced through named ranges,
    so lists of any length work (inline lists stop at 255 characters). Blank is always allowed.
    ``properties`` become the workbook's custom document properties (text), name → value.
    """
    from openpyxl import Workbook

    specs = list(sheets)
    book = Workbook(write_only=True)
    if properties:
        from openpyxl.packaging.custom import StringProperty

        for name, value in properties.items():
            book.custom_doc_props.append(StringProperty(name=name, value=value))
    named_lists = _ListRegistry(lists or {})
    for spec in specs:
        _write_sheet(book, spec, named_lists)
    named_lists.write(book)
    book.save(os.fspath(path))


class _ListRegistry:
    """Collects dropdown lists as columns of the hidden Lists sheet, one named range each."""

    def __init__(self, given: Mapping[str, Sequence[str]]) -> None:
        self._given = given
        self._columns: dict[str, Sequence[str]] = {}

    def range_name(self, sheet: str, header: str, choices: Sequence[str] | str) -> str:
        if isinstance(choices, str):
            if choices not in self._given:
                raise ValueError(f"dropdown {sheet}/{header} names an unknown list {choices!r}")
            name, values = _defined_name(choices), self._given[choices]
        else:
            name, values = _defined_name(f"{sheet}_{header}"), choices
        self._columns.setdefault(name, values)
        return name

    def write(self, book: Workbook) -> None:
        if not self._columns:
            return
        from openpyxl.utils import get_column_letter
        from openpyxl.workbook.defined_name import DefinedName

        sheet = book.create_sheet(LISTS_SHEET)
        sheet.sheet_state = "hidden"
        columns = list(self._columns.items())
        longest = max(len(values) for _, values in columns)
        sheet.append([name for name, _ in columns])
        for index in range(longest):
            sheet.append(
                [
                    safe_text(sheet, str(values[index])) if index < len(values) else None
                    for _, values in columns
                ]
            )
        for number, (name, values) in enumerate(columns, start=1):
            letter = get_column_letter(number)
            last = max(len(values), 1) + 1
            reference = f"{_quote_sheet(LISTS_SHEET)}!${letter}$2:${letter}${last}"
            book.defined_names[name] = DefinedName(name, attr_text=reference)


def _write_sheet(book: Workbook, spec: SheetSpec, named_lists: _ListRegistry) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet = book.create_sheet(sheet_title(spec.name, book.sheetnames))
    letters = {header: get_column_letter(n) for n, header in enumerate(spec.headers, start=1)}
    for header, letter in letters.items():
        width = spec.column_widths.get(header, max(DEFAULT_WIDTH, len(header) + 4.0))
        sheet.column_dimensions[letter].width = width
    if spec.freeze_header:
        sheet.freeze_panes = "A2"
    for header, choices in spec.dropdowns.items():
        if header not in letters:
            raise ValueError(f"dropdown for {header!r}, which is not a header of {spec.name}")
        validation = DataValidation(
            type="list",
            formula1=named_lists.range_name(spec.name, header, choices),
            allow_blank=True,
            sqref=f"{letters[header]}2:{letters[header]}{LAST_ROW}",
        )
        sheet.data_validations.append(validation)

    bold = Font(bold=True)
    required_fill = PatternFill("solid", start_color=REQUIRED_FILL, end_color=REQUIRED_FILL)
    header_cells = []
    for header in spec.headers:
        cell = safe_text(sheet, header)
        cell.font = bold
        notes = [REQUIRED_COMMENT] if header in spec.required else []
        notes += [spec.comments[header]] if header in spec.comments else []
        if header in spec.required:
            cell.fill = required_fill
        if notes:
            cell.comment = Comment(". ".join(notes), _COMMENT_AUTHOR, width=240, height=80)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in spec.rows:
        sheet.append([_cell_value(sheet, value) for value in row])


def _cell_value(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, str):
        # openpyxl would store "=…" as a formula; other text goes through untouched, faster.
        if is_formula_like(value) or _XML_ILLEGAL.search(value):
            return safe_text(sheet, value)
        return value
    if isinstance(value, dt.datetime):
        return _date_cell(sheet, _naive(value), DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return _date_cell(sheet, value, DATE_FORMAT)
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    return _cell_value(sheet, str(value))


def _date_cell(sheet: WriteOnlyWorksheet, value: dt.date, number_format: str) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _naive(value: dt.datetime) -> dt.datetime:
    # Excel has no time zones; exported instants are written in UTC.
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _defined_name(text: str) -> str:
    return "list_" + (re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "values")


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"
