"""Tells what an upload is from its first bytes (workbook, text, PDF, image…), not its name."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

SNIFF_BYTES = 8 * 1024
TABLE_EXTENSIONS = {"csv": "csv", "txt": "csv", "tsv": "csv", "xlsx": "xlsx", "xlsm": "xlsx"}
# What an own file may be called, as a 422 says it: ".csv, .txt, .tsv, .xlsx or .xlsm".
TABLE_EXTENSIONS_TEXT = (
    ", ".join(f".{e}" for e in list(TABLE_EXTENSIONS)[:-1]) + f" or .{list(TABLE_EXTENSIONS)[-1]}"
)

_XLSX_HINT = "Save it as an Excel workbook (.xlsx) or as CSV and upload that"


def file_kind(file_name: str) -> str | None:
    """ "csv" or "xlsx" by the name's extension (.csv/.txt/.tsv, .xlsx/.xlsm); None otherwise.

    Only what the upload may be called (MYOB exports tab-delimited .txt): the reader decides
    by content (``sniff_kind``)."""
    extension = file_name.lower().rsplit(".", 1)[-1] if "." in file_name else ""
    return TABLE_EXTENSIONS.get(extension)


@dataclass(frozen=True)
class FileKind:
    """What the content looks like: ``kind`` is "xlsx" or "text" (readable as a table) or
    one we refuse ("xls", "ods", "zip", "pdf", "image", "gzip", "binary", "empty"), with
    ``message`` saying so to the user (None for the readable kinds)."""

    kind: str
    message: str | None = None

    @property
    def readable(self) -> bool:
        return self.message is None


# (magic prefix, kind, what it is) for the formats people upload by mistake.
_SIGNATURES = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls", "an old Excel 97–2003 workbook (.xls)"),
    (b"%PDF-", "pdf", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "image", "a PNG image"),
    (b"\xff\xd8\xff", "image", "a JPEG image"),
    (b"GIF87a", "image", "a GIF image"),
    (b"GIF89a", "image", "a GIF image"),
    (b"BM", "image", "a bitmap image"),
    (b"\x1f\x8b", "gzip", "a gzip-compressed file"),
    (b"Rar!\x1a\x07", "zip", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "zip", "a 7-Zip archive"),
)
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff_kind(path: str) -> FileKind:
    """The kind of the file at ``path`` by its content.

    A zip holding ``xl/workbook.xml`` is an .xlsx (whatever its name), one holding an
    OpenDocument spreadsheet or anything else is refused; text is any content that decodes
    as UTF-8/UTF-16 or a Western single-byte encoding without control bytes (NUL and the
    like never occur in a CSV).
    """
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        return FileKind("empty", "The file is empty: it holds no rows to import")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path)
    for magic, kind, what in _SIGNATURES:
        if head.startswith(magic):
            return FileKind(kind, _not_a_table(what, kind))
    if head.startswith(b"WEBP", 8) and head.startswith(b"RIFF"):
        return FileKind("image", _not_a_table("a WebP image", "image"))
    if _looks_like_text(head):
        return FileKind("text")
    return FileKind(
        "binary",
        "The file is not a spreadsheet: its content is binary data, not CSV text or an Excel "
        "workbook. " + _XLSX_HINT,
    )


def _zip_kind(path: str) -> FileKind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError):
        return FileKind("zip", "The file is a damaged zip or .xlsx file and cannot be read")
    if "xl/workbook.xml" in names:
        return FileKind("xlsx")
    if b"spreadsheet" in mimetype:
        return FileKind("ods", _not_a_table("an OpenDocument spreadsheet (.ods)", "ods"))
    if "word/document.xml" in names:
        return FileKind("zip", _not_a_table("a Word document", "zip"))
    return FileKind("zip", _not_a_table("a zip archive", "zip"))


def _not_a_table(what: str, kind: str) -> str:
    if kind in ("xls", "ods"):
        return f"This is {what}, which we do not read. Open it and save it as .xlsx or CSV"
    return f"This is {what}, not a spreadsheet. {_XLSX_HINT}"


def _looks_like_text(head: bytes) -> bool:
    if head.startswith(_TEXT_BOMS[1:]) or _utf16_without_bom(head):
        return True
    sample = head[3:] if head.startswith(_TEXT_BOMS[0]) else head
    # Control bytes other than tab, CR, LF (and the form feed or EOF some old tools leave)
    # do not occur in text of any of the encodings we read.
    controls = sum(1 for b in sample if b < 0x20 and b not in (0x09, 0x0A, 0x0D, 0x0C, 0x1A))
    return controls <= len(sample) // 1000


def _utf16_without_bom(head: bytes) -> bool:
    even, odd = head[0:200:2], head[1:200:2]
    return len(head) >= 4 and (
        (odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even))
        or (even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd))
    )
