"""Refuses hostile or oversized .xlsx uploads (zip or XML bombs, non-workbooks) before parsing."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import ParseError

import openpyxl
import openpyxl.xml
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

    from chalicelib.xlsx.calamine import CalamineBook

# openpyxl only parses through defusedxml when it is installed and OPENPYXL_DEFUSEDXML is not
# "False"; without it a billion-laughs sheet expands in memory, so refuse to run at all.
if not openpyxl.xml.DEFUSEDXML:
    raise ImportError(
        "openpyxl is not using defusedxml (is defusedxml installed, and OPENPYXL_DEFUSEDXML "
        "unset?); reading untrusted workbooks without it is unsafe"
    )

MiB = 1024 * 1024
_CHUNK = 1 * MiB
_REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
# A DTD never belongs in an .xlsx; looked for in UTF-8 and both UTF-16 byte orders.
_DTD_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_MARKER_OVERLAP = max(len(m) for m in _DTD_MARKERS) - 1
_DEFUSED_ERRORS = (EntitiesForbidden, DTDForbidden, ExternalReferenceForbidden)
_XML_ENTITIES_MESSAGE = (
    "The file contains XML entity declarations, which are not allowed in an .xlsx workbook"
)


@dataclass(frozen=True)
class FileLimits:
    """Caps on an uploaded workbook; callers build it from settings."""

    max_file_bytes: int = 25 * MiB
    max_uncompressed_bytes: int = 250 * MiB
    max_compression_ratio: int = 100
    max_zip_entries: int = 1000
    max_rows: int = 200_000


class FileRejected(Exception):
    """The whole file is refused; ``message`` is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_xlsx(path: str | os.PathLike[str], limits: FileLimits) -> None:
    """Raise FileRejected unless ``path`` is a plausible .xlsx within ``limits``.

    Cheap checks on the zip directory come first, so a zip bomb is refused before a byte is
    inflated. Then every entry is inflated in 1 MiB chunks and counted, because the sizes in the
    directory are the uploader's claim: a part that inflates past its declared size, the total
    limit or the ratio limit is refused as soon as the count goes over. The same pass refuses
    any part carrying a DTD, whatever XML parser ends up reading it.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise FileRejected(
            f"The file is {_mib(size)}; the largest accepted is {_mib(limits.max_file_bytes)}"
        )
    if not zipfile.is_zipfile(path):
        raise FileRejected("The file is not an .xlsx workbook")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_directory(entries, limits)
            _check_contents(archive, entries, limits)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        # Truncated or corrupt archives, CRC mismatches, unsupported compression methods.
        raise FileRejected(f"The file is not a readable .xlsx workbook ({exc})") from exc


def open_workbook(path: str | os.PathLike[str], limits: FileLimits) -> Workbook:
    """Check ``path`` and open it read-only with values (not formulas); the caller closes it."""
    check_xlsx(path, limits)
    with rejecting_unsafe_xml():
        return openpyxl.load_workbook(path, read_only=True, data_only=True)


def open_rows_workbook(path: str | os.PathLike[str], limits: FileLimits) -> Workbook | CalamineBook:
    """Check ``path`` and open it for reading rows: with calamine when every sheet's grid is
    bounded below ``calamine.MAX_CELL_AREA`` (fast), else read-only openpyxl (streams), as
    also when calamine cannot open it (openpyxl then says what is wrong, as it always has)."""
    from python_calamine import CalamineError

    from chalicelib.xlsx.calamine import MAX_CELL_AREA, CalamineBook, cell_area_bound

    check_xlsx(path, limits)
    area = cell_area_bound(str(path))
    if area is not None and area <= MAX_CELL_AREA:
        try:
            return CalamineBook(str(path))
        except CalamineError:
            pass
    with rejecting_unsafe_xml():
        return openpyxl.load_workbook(path, read_only=True, data_only=True)


@contextmanager
def rejecting_unsafe_xml() -> Iterator[None]:
    """Turn XML parse failures inside the block into FileRejected.

    read_only workbooks parse sheets lazily, so row iteration needs this as much as loading.
    """
    try:
        yield
    except FileRejected:
        raise
    except (ValueError, ParseError, KeyError, zipfile.BadZipFile) as exc:
        # defusedxml's errors are ValueErrors, and openpyxl re-raises them wrapped in another.
        if any(isinstance(cause, _DEFUSED_ERRORS) for cause in _causes(exc)):
            raise FileRejected(_XML_ENTITIES_MESSAGE) from exc
        raise FileRejected(f"The workbook could not be read; its XML is malformed ({exc})") from exc


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def _check_directory(entries: list[zipfile.ZipInfo], limits: FileLimits) -> None:
    if len(entries) > limits.max_zip_entries:
        raise FileRejected(
            f"The workbook has {len(entries)} parts; at most {limits.max_zip_entries} are allowed"
        )
    names = {entry.filename for entry in entries}
    missing = [part for part in _REQUIRED_PARTS if part not in names]
    if missing:
        raise FileRejected(f"The file is not an .xlsx workbook (no {', '.join(missing)})")
    declared = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise FileRejected("The workbook is encrypted or password-protected")
        declared += entry.file_size
        _check_ratio(entry, entry.file_size, limits)
    if declared > limits.max_uncompressed_bytes:
        raise FileRejected(_too_big_message(limits))


def _check_contents(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], limits: FileLimits
) -> None:
    total = 0
    for entry in entries:
        if entry.is_dir():
            continue
        inflated = 0
        tail = b""
        # zipfile never inflates past the declared size and then checks the CRC, so a header
        # that understates a part ends in BadZipFile; the size test below is a second lock.
        with archive.open(entry) as stream:
            while chunk := stream.read(_CHUNK):
                inflated += len(chunk)
                total += len(chunk)
                if total > limits.max_uncompressed_bytes or inflated > entry.file_size:
                    raise FileRejected(_too_big_message(limits))
                _check_ratio(entry, inflated, limits)
                if entry.filename.endswith((".xml", ".rels", ".vml")):
                    window = tail + chunk
                    if any(marker in window for marker in _DTD_MARKERS):
                        raise FileRejected(_XML_ENTITIES_MESSAGE)
                    tail = window[-_MARKER_OVERLAP:]


def _check_ratio(entry: zipfile.ZipInfo, inflated: int, limits: FileLimits) -> None:
    # Tiny parts compress badly or not at all; only a ratio on something sizeable means a bomb.
    if inflated < MiB:
        return
    if inflated > limits.max_compression_ratio * max(entry.compress_size, 1):
        raise FileRejected(
            f"The workbook part {entry.filename} expands more than "
            f"{limits.max_compression_ratio} times; it looks like a zip bomb"
        )


def _too_big_message(limits: FileLimits) -> str:
    return (
        "The workbook expands to more than "
        f"{_mib(limits.max_uncompressed_bytes)} when unzipped, which is more than is accepted"
    )


def _mib(size: int) -> str:
    return f"{size / MiB:.1f} MiB"
