"""Reading a customer's own CSV or XLSX of any layout into a Table of headers and numbered rows."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from chalicelib.domain.values import is_blank
from chalicelib.imports.read.headers import column_letter, normalise_header, unique_headers

DELIMITERS = (",", ";", "\t", "|")
CSV_EXTENSIONS = ("csv", "txt", "tsv")  # MYOB exports tab-delimited .txt
XLSX_EXTENSIONS = ("xlsx", "xlsm")
SNIFF_BYTES = 64 * 1024


def file_kind(file_name: str) -> str | None:
    """ "csv" or "xlsx" by the name's extension (.csv/.txt/.tsv, .xlsx/.xlsm); None otherwise."""
    extension = file_name.lower().rsplit(".", 1)[-1] if "." in file_name else ""
    if extension in CSV_EXTENSIONS:
        return "csv"
    return "xlsx" if extension in XLSX_EXTENSIONS else None


HEADER_SCAN_ROWS = 20
SAMPLE_ROWS = 50

Row = tuple[int, list[Any]]


@dataclass
class Table:
    """A sheet of a file: unique ``headers`` over the kept ``columns`` and its numbered rows."""

    headers: list[str]
    header_row: int
    has_headers: bool
    columns: list[int]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    max_rows: int | None = None
    _raw_rows: Callable[[], Iterator[Row]] = field(default=lambda: iter(()), repr=False)

    def rows(self) -> Iterator[Row]:
        """``(row_number, values)`` for each non-empty row below the header, file row numbers."""
        produced = 0
        with closing(self._raw_rows()) as raw_rows:
            for number, raw in raw_rows:
                if number <= self.header_row:
                    continue
                values = [raw[i] if i < len(raw) else None for i in self.columns]
                if all(is_blank(v) for v in values):
                    continue
                yield number, values
                produced += 1
                if self.max_rows is not None and produced >= self.max_rows:
                    return

    def sample(self, size: int = 20) -> list[list[Any]]:
        """The first ``size`` data rows' values, for suggestions and previews."""
        result = []
        for _, values in self.rows():
            result.append(values)
            if len(result) >= size:
                break
        return result


def read_table(
    path: str,
    file_name: str,
    *,
    has_headers: bool | None = None,
    max_rows: int | None = None,
    sheet: str | None = None,
) -> Table:
    """Open ``path`` (kind taken from ``file_name``), find its header row and kept columns.

    ``has_headers=None`` detects whether a header row exists; False names columns "Column A"...
    """
    kind = file_kind(file_name)
    if kind is None:
        raise ValueError(f"{file_name!r} is not a .csv, .txt or .xlsx file")
    if kind == "xlsx":
        raw_rows, encoding, delimiter = _xlsx_rows(path, sheet), None, None
        sheet_name = _xlsx_sheet_name(path, sheet)
    else:
        encoding = detect_encoding(path)
        delimiter = detect_delimiter(path, encoding)
        raw_rows, sheet_name = _csv_rows(path, encoding, delimiter), None

    with closing(raw_rows()) as rows:  # closes the file even though we stop early
        head = _first_rows(rows, SAMPLE_ROWS)
    header_row = _find_header_row(head, has_headers)
    header_cells = next((v for n, v in head if n == header_row), []) if header_row else []
    below = [v for n, v in head if n > header_row]
    width = max([len(header_cells), *(len(v) for v in below)], default=0)
    columns = [
        i
        for i in range(width)
        if not is_blank(_cell(header_cells, i)) or any(not is_blank(_cell(v, i)) for v in below)
    ]
    if header_row:
        names = [
            _header_text(_cell(header_cells, i)) or f"Column {column_letter(i)}" for i in columns
        ]
    else:
        names = [f"Column {column_letter(i)}" for i in columns]
    return Table(
        headers=unique_headers(names),
        header_row=header_row,
        has_headers=bool(header_row),
        columns=columns,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet_name,
        max_rows=max_rows,
        _raw_rows=raw_rows,
    )


# -- CSV ------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WESTERN_SINGLE_BYTE = re.compile(
    r"^(ascii|latin[_-]?1|iso8859_\d+|cp125\d|windows_125\d|mac_\w+)$"
)


def detect_encoding(path: str) -> str:
    """BOM first, then strict UTF-8, then BOM-less UTF-16, then charset-normalizer (cp1252 bias)."""
    with open(path, "rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    try:
        # Not final: the sample may end in the middle of a multi-byte character.
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _bomless_utf16(sample)
    if utf16:
        return utf16
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    guess = (best.encoding if best else "cp1252").lower()
    # Short Western samples make charset-normalizer hesitate between cp1250, latin-1, mac_roman…;
    # spreadsheets saved by Excel on Windows in AU/NZ/US are cp1252, so prefer it when it fits.
    if _WESTERN_SINGLE_BYTE.match(guess) and _decodes(sample, "cp1252"):
        return "cp1252"
    return guess


def _bomless_utf16(sample: bytes) -> str | None:
    even, odd = sample[0::2], sample[1::2]
    if len(sample) < 4:
        return None
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def _open_text(path: str, encoding: str) -> io.TextIOWrapper:
    # Streams: TextIOWrapper decodes incrementally, so a large file never sits in memory whole.
    return io.TextIOWrapper(open(path, "rb"), encoding=encoding, errors="replace", newline="")


def detect_delimiter(path: str, encoding: str) -> str:
    """The delimiter among , ; tab | that splits the first lines into the most consistent fields."""
    with _open_text(path, encoding) as handle:
        text = handle.read(SNIFF_BYTES)
    lines = text.splitlines()[:40]
    if len(text) >= SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    best, best_score = ",", (0, 0, 0)
    for delimiter in DELIMITERS:
        counts = [
            len(r) for r in csv.reader(lines, delimiter=delimiter) if any(c.strip() for c in r)
        ]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        width, rows_at_width = Counter(counts).most_common(1)[0]
        score = (rows_at_width, width, -DELIMITERS.index(delimiter))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(path: str, encoding: str, delimiter: str) -> Callable[[], Iterator[Row]]:
    def rows() -> Iterator[Row]:
        with _open_text(path, encoding) as handle:
            # Row numbers count records, as a spreadsheet shows them (a quoted newline is one row).
            for number, values in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
                if number == 1 and values:
                    values[0] = values[0].lstrip("\ufeff")  # a BOM written twice by some tools
                yield number, [v.strip() for v in values]

    return rows


# -- XLSX -----------------------------------------------------------------------------------


def _xlsx_sheet_name(path: str, sheet: str | None) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return _pick_sheet(workbook, sheet).title
    finally:
        workbook.close()


def _pick_sheet(workbook: Any, sheet: str | None) -> Any:
    if sheet is None:
        return workbook.worksheets[0]
    for worksheet in workbook.worksheets:
        if worksheet.title.casefold() == sheet.casefold():
            return worksheet
    raise ValueError(f"the workbook has no sheet named {sheet!r}")


def _xlsx_rows(path: str, sheet: str | None) -> Callable[[], Iterator[Row]]:
    def rows() -> Iterator[Row]:
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            worksheet = _pick_sheet(workbook, sheet)
            # Exporters other than Excel often write a wrong <dimension> (e.g. "A1"); read-only
            # mode would trust it and cut the sheet short, so read what is really there.
            worksheet.reset_dimensions()
            # Read-only sheets yield gap rows too, so counting from 1 gives the real row number.
            for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, [c.strip() if isinstance(c, str) else c for c in cells]
        finally:
            workbook.close()

    return rows


# -- header detection -----------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMBER = re.compile(r"^[-+$]?\s?[\d,]*\.?\d+%?$")
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(\s.*)?$")
_PHONE = re.compile(r"^[+(]?[\d()\s.-]{6,}$")


def _first_rows(rows: Iterator[Row], limit: int) -> list[Row]:
    result = []
    for number, values in rows:
        if all(is_blank(v) for v in values):
            continue
        result.append((number, values))
        if len(result) >= limit:
            break
    return result


def _find_header_row(head: list[Row], has_headers: bool | None) -> int:
    if has_headers is False or not head:
        return 0
    scan = head[:HEADER_SCAN_ROWS]
    widest = max(_filled(v) for _, v in scan)
    candidate = next(
        (
            i
            for i, (_, values) in enumerate(scan)
            if _filled(values) >= max(1, (widest + 1) // 2) and _header_likeness(values) >= 0.9
        ),
        None,
    )
    if candidate is None:
        return head[0][0] if has_headers else 0
    number, values = scan[candidate]
    if has_headers or candidate > 0:
        return number
    return number if _first_row_is_header(values, [v for _, v in head[1:]]) else 0


def _first_row_is_header(first: list[Any], below: list[list[Any]]) -> bool:
    if not below:
        return _vocabulary_hits(first) > 0
    if _vocabulary_hits(first) >= max(1, _filled(first) // 3):
        return True
    # A header cell is text above a column of data-like cells (emails, numbers, dates).
    for i, cell in enumerate(first):
        column = [_cell(v, i) for v in below if not is_blank(_cell(v, i))]
        data_like = sum(_looks_like_data(c) for c in column)
        if not is_blank(cell) and column and data_like >= 0.5 * len(column):
            return True
    # Header texts are unique and don't recur in the data.
    texts = {str(c).casefold() for c in first if not is_blank(c)}
    return not any(str(c).casefold() in texts for v in below for c in v if not is_blank(c))


def _vocabulary_hits(values: list[Any]) -> int:
    vocabulary = _header_vocabulary()
    return sum(1 for v in values if not is_blank(v) and normalise_header(v) in vocabulary)


_VOCABULARY: set[str] = set()


def _header_vocabulary() -> set[str]:
    if not _VOCABULARY:
        from chalicelib.imports.catalog.fields import fields_for
        from chalicelib.imports.catalog.model import TARGETS

        for target in TARGETS:
            for f in fields_for(target):
                _VOCABULARY.add(normalise_header(f.label))
                _VOCABULARY.update(normalise_header(s) for s in f.synonyms)
    return _VOCABULARY


def _header_likeness(values: list[Any]) -> float:
    filled = [v for v in values if not is_blank(v)]
    if not filled:
        return 0.0
    good = sum(
        1
        for v in filled
        if isinstance(v, str)
        and len(v) <= 60
        and re.search(r"[^\W\d_]", v)
        and not _looks_like_data(v)
    )
    return good / len(filled)


def _looks_like_data(value: Any) -> bool:
    if isinstance(value, bool | int | float | date | datetime | time):
        return True
    text = str(value).strip()
    return bool(
        _EMAIL.match(text) or _NUMBER.match(text) or _DATE.match(text) or _PHONE.match(text)
    )


def _filled(values: list[Any]) -> int:
    return sum(1 for v in values if not is_blank(v))


def _cell(values: list[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def _header_text(value: Any) -> str:
    return " ".join(restore_text(value, "text").split()) if not is_blank(value) else ""


# -- Excel numbers back to text -------------------------------------------------------------

_AU_PHONE_WITHOUT_ZERO = re.compile(r"^[2378]\d{8}$|^4\d{8}$")


def restore_text(value: Any, field_type: str = "text", country: str | None = "AU") -> Any:
    """Undo what Excel does to text that looks numeric: 412345678.0 → "0412345678" for AU phones.

    Integral floats lose their ".0"; a leading zero comes back only where the country makes it
    certain (AU/NZ postcodes have four digits, US ZIP codes five; AU numbers without their
    trunk zero have nine digits). Dates, numbers and booleans are left for their own parsers.
    """
    if value is None or field_type in ("date", "number", "boolean"):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, int | float):
        text = repr(value)
    elif isinstance(value, datetime | date | time):
        return value
    else:
        text = str(value).strip()
    country = (country or "").upper()
    if field_type == "postcode" and text.isdigit():
        if country in ("AU", "NZ") and len(text) == 3:
            return text.zfill(4)
        if country == "US" and 3 <= len(text) < 5:
            return text.zfill(5)
    if field_type == "phone" and country == "AU":
        digits = re.sub(r"[\s-]", "", text)
        if _AU_PHONE_WITHOUT_ZERO.match(digits):
            return "0" + digits
    return text
