"""Reading a customer's own CSV or XLSX of any layout into a Table of headers and numbered rows."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from chalicelib.domain.values import is_blank
from chalicelib.imports.read.cells import read_cell
from chalicelib.imports.read.headers import column_letter, normalise_header, unique_headers
from chalicelib.imports.read.kinds import TABLE_EXTENSIONS_TEXT, file_kind, sniff_kind
from chalicelib.xlsx.safety import FileRejected

DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 64 * 1024
# Python's csv refuses a field over 128 KiB and stops the whole file; read any length (the
# upload limit bounds it) and let read_cell mark the cell, so that one row says why.
csv.field_size_limit(2**31 - 1)


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
    sheets: list[SheetInfo] = field(default_factory=list)
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
    """Open ``path``, find its header row and kept columns.

    ``file_name`` must end in a table's extension (ValueError otherwise), but the content
    decides how it is read: a workbook named .csv is read as a workbook, and content that is
    no table (a PDF, an image, an old .xls, random bytes, nothing) raises FileRejected saying
    what it looks like. In a workbook ``sheet`` names the sheet (SheetNotFound if absent);
    without it the first visible sheet holding a table is read (see ``choose_sheet``).
    ``has_headers=None`` detects whether a header row exists; False names columns "Column A"...
    """
    if file_kind(file_name) is None:
        raise ValueError(f"{file_name!r} is not a {TABLE_EXTENSIONS_TEXT} file")
    kind = sniff_kind(path)
    if not kind.readable:
        raise FileRejected(kind.message or "The file is not a spreadsheet")
    sheets: list[SheetInfo] = []
    if kind.kind == "xlsx":
        sheets = workbook_sheets(path)
        sheet_name = choose_sheet(sheets, sheet).name
        raw_rows, encoding, delimiter = _xlsx_rows(path, sheet_name), None, None
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
        sheets=sheets,
        max_rows=max_rows,
        _raw_rows=raw_rows,
    )


# -- CSV ------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(path: str) -> str:
    """The file's encoding, told apart by what the decoded text means.

    A BOM decides, then strict UTF-8, then UTF-16 without a BOM (every other byte NUL). Other
    bytes are decoded as each Western single-byte encoding spreadsheets write — cp1252
    (Windows Excel), Mac Roman (Mac Excel's "CSV (Macintosh)") and latin-1 — and the reading
    whose accented letters and punctuation look like words wins (``Café``, ``O’Brien``,
    ``– €5`` rather than ``CafÈ``, ``OÕBrien``, control characters). When none reads as
    Western text, charset-normalizer names the encoding (Cyrillic, Greek, Asian…).
    """
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
    scores = {
        encoding: western_text_score(sample.decode(encoding))
        for encoding in _WESTERN
        if _decodes(sample, encoding)
    }
    if b"\r" in sample and b"\n" not in sample and "mac_roman" in scores:
        scores["mac_roman"] += 2  # bare CR line ends: a classic Mac file
    if scores:
        best = max(scores, key=lambda e: (scores[e], -_WESTERN.index(e)))
        if scores[best] > 0:
            return best
    from charset_normalizer import from_bytes

    guess = from_bytes(sample).best()
    return guess.encoding if guess else "cp1252"


# In order of preference when two readings are equally plausible (cp1252 and latin-1 read
# bytes outside 0x80–0x9F the same; cp1252 is what Windows Excel writes).
_WESTERN = ("cp1252", "mac_roman", "latin-1")
_COMMON_MARKS = set("’‘“”–—…•€£°×·§©®™«»¢¥¿¡")


def western_text_score(text: str) -> int:
    """How much the non-ASCII characters of ``text`` look like Western words and punctuation.

    Lower-case accented letters score, as do capitals starting a word or inside an all-capital
    one, and the marks typed in business text (’ – € £ …). Control characters, capitals after
    a lower-case letter (``CafÈ``), runs of non-ASCII characters (``Ïåòðîâ``) and the maths
    and diacritic symbols a wrong code page produces (``M¸ller``, ``√``) count against.
    """
    score = 0
    for index, char in enumerate(text):
        if char.isascii():
            continue
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        category = unicodedata.category(char)
        if category == "Cc":
            score -= 5
        elif not before.isascii() and not after.isascii():
            score -= 1  # runs of non-ASCII: another script read in a Western code page
        elif category == "Ll":
            score += 2 if before.isalpha() or after.isalpha() else 1
        elif category == "Lu":
            if before.islower():
                score -= 2
            elif not before.isalpha() or after.isupper() or not after.isalpha():
                score += 1
        elif char in _COMMON_MARKS:
            score += 2 if char == "’" and before.isalpha() and after.isalpha() else 1
        elif category.startswith(("S", "M")) or category in ("Lm", "Po"):
            score -= 2
    return score


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
    first_line = next(iter(text.lstrip("\ufeff").splitlines()), "")
    if match := _SEP_LINE.match(first_line):
        return match[1]
    lines = text.splitlines()[:40]
    if len(text) >= SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    best, best_score = ",", (0, 0, 0)
    for delimiter in DELIMITERS:
        reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
        counts = [len(r) for r in reader if any(c.strip() for c in r)]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        width, rows_at_width = Counter(counts).most_common(1)[0]
        score = (rows_at_width, width, -DELIMITERS.index(delimiter))
        if score > best_score:
            best, best_score = delimiter, score
    return best


# Excel (and exports written for it) may start a CSV with "sep=;" to name its delimiter.
_SEP_LINE = re.compile(r"^sep=(.)\s*$", re.IGNORECASE)


def _csv_rows(path: str, encoding: str, delimiter: str) -> Callable[[], Iterator[Row]]:
    def rows() -> Iterator[Row]:
        with _open_text(path, encoding) as handle:
            # skipinitialspace: in `a, "b, c"` the quotes still quote (Python's csv, CsvHelper
            # and rust-csv otherwise keep them as text and split "b, c" in two).
            reader = csv.reader(handle, delimiter=delimiter, skipinitialspace=True)
            # Row numbers count records, as a spreadsheet shows them (a quoted newline is one row).
            for number, values in enumerate(reader, start=1):
                if number == 1 and values:
                    values[0] = values[0].lstrip("\ufeff")  # a BOM written twice by some tools
                    if _SEP_LINE.match(delimiter.join(values)):
                        values = []  # Excel's "sep=;" names the delimiter; it is no row
                yield number, [read_cell(v) for v in values]

    return rows


# -- XLSX -----------------------------------------------------------------------------------


class SheetNotFound(FileRejected, ValueError):
    """The sheet asked for is not in the workbook."""


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of a workbook as the analysis lists it.

    ``state`` is openpyxl's "visible", "hidden" or "veryHidden"; ``rows`` counts its non-blank
    rows (header included); ``table`` says whether it holds a table (a row of two or more
    cells and a row under it); ``cover`` marks an exporter's summary sheet (Numbers' "Export
    Summary").
    """

    name: str
    state: str
    rows: int
    table: bool
    cover: bool

    @property
    def visible(self) -> bool:
        return self.state == "visible"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "visible": self.visible, "state": self.state, "rows": self.rows}


# Sheets exporters put in front of the data. Apple Numbers writes "Export Summary" first, its
# A1 beginning "This document was exported from Numbers."
_COVER_TITLES = {"export summary"}
_COVER_OPENINGS = ("this document was exported from",)


def workbook_sheets(path: str) -> list[SheetInfo]:
    """Every sheet of the .xlsx at ``path`` in tab order, hidden ones included, with its rows."""
    with opened_workbook(path) as workbook:
        return [_sheet_info(worksheet) for worksheet in workbook.worksheets]


@contextmanager
def opened_workbook(path: str) -> Iterator[Any]:
    """The .xlsx at ``path`` open read-only with values, whatever its name ends in.

    openpyxl refuses a file name not ending in .xlsx, so it gets the open file instead.
    """
    from openpyxl import load_workbook

    with open(path, "rb") as handle:
        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            yield workbook
        finally:
            workbook.close()


def _sheet_info(worksheet: Any) -> SheetInfo:
    worksheet.reset_dimensions()  # see _xlsx_rows: the stated dimension may be wrong
    rows = wide = 0
    first_text = None
    for cells in worksheet.iter_rows(values_only=True):
        filled = _filled(cells)
        if not filled:
            continue
        rows += 1
        if first_text is None:
            first_text = str(next(c for c in cells if not is_blank(c))).strip().casefold()
        if filled >= 2:
            wide += 1
    cover = worksheet.title.strip().casefold() in _COVER_TITLES or (
        first_text is not None and first_text.startswith(_COVER_OPENINGS)
    )
    return SheetInfo(
        name=worksheet.title,
        state=getattr(worksheet, "sheet_state", "visible") or "visible",
        rows=rows,
        table=wide >= 1 and rows >= 2,
        cover=cover,
    )


def choose_sheet(sheets: list[SheetInfo], wanted: str | None = None) -> SheetInfo:
    """The sheet to read: ``wanted`` by name (any case), else the first visible one holding a
    table that is no exporter's cover; failing that the first visible sheet with any rows.

    Hidden sheets (lookup lists, an app's workings) are read only when asked for by name.
    Raises SheetNotFound for a name the workbook lacks.
    """
    if wanted is not None:
        for info in sheets:
            if info.name.casefold() == wanted.strip().casefold():
                return info
        names = ", ".join(info.name for info in sheets)
        raise SheetNotFound(f"The workbook has no sheet named {wanted!r} (it has {names})")
    visible = [info for info in sheets if info.visible] or sheets
    for choices in (
        [i for i in visible if i.table and not i.cover],
        [i for i in visible if i.rows and not i.cover],
        [i for i in visible if i.rows],
        visible,
    ):
        if choices:
            return choices[0]
    raise FileRejected("The workbook has no sheets")


def _pick_sheet(workbook: Any, sheet: str) -> Any:
    for worksheet in workbook.worksheets:
        if worksheet.title == sheet:
            return worksheet
    raise SheetNotFound(f"The workbook has no sheet named {sheet!r}")


def _xlsx_rows(path: str, sheet: str) -> Callable[[], Iterator[Row]]:
    def rows() -> Iterator[Row]:
        with opened_workbook(path) as workbook:
            worksheet = _pick_sheet(workbook, sheet)
            # Exporters other than Excel often write a wrong <dimension> (e.g. "A1"); read-only
            # mode would trust it and cut the sheet short, so read what is really there.
            worksheet.reset_dimensions()
            # Read-only sheets yield gap rows too, so counting from 1 gives the real row number.
            for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, [read_cell(c) for c in cells]

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
