"""Hostile and broken uploads are refused with a clear message, quickly; normal workbooks pass."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from chalicelib.xlsx.safety import (
    FileLimits,
    FileRejected,
    check_xlsx,
    open_workbook,
    rejecting_unsafe_xml,
)
from tests.unit.xlsx.factories import (
    BILLION_LAUGHS_PROLOGUE,
    inline_row,
    sheet_xml,
    understate_size,
    write_raw_xlsx,
    write_zip_bomb,
)

LIMITS = FileLimits()


def rejection(path: Path, limits: FileLimits = LIMITS, *, within_seconds: float = 2.0) -> str:
    started = time.perf_counter()
    with pytest.raises(FileRejected) as caught:
        check_xlsx(path, limits)
    assert time.perf_counter() - started < within_seconds
    return caught.value.message


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zip_bomb(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", inflated_mib=300)


def test_a_normal_workbook_passes_and_opens(tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Customers"
    book.active.append(["Name", "Email"])
    book.active.append(["Acme Plumbing", "office@acme.test"])
    book.save(path)

    workbook = open_workbook(path, LIMITS)
    try:
        assert workbook.sheetnames == ["Customers"]
    finally:
        workbook.close()


def test_a_300_mib_zip_bomb_is_refused_before_inflating(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 2 * 1024 * 1024

    message = rejection(zip_bomb, within_seconds=0.1)

    assert "zip bomb" in message or "unzipped" in message


def test_a_bomb_under_the_ratio_limit_is_refused_by_its_total_size(zip_bomb: Path) -> None:
    lenient_ratio = FileLimits(max_compression_ratio=10_000)

    assert "more than 250.0 MiB when unzipped" in rejection(zip_bomb, lenient_ratio)


def test_a_header_understating_the_real_size_is_caught_while_inflating(tmp_path: Path) -> None:
    # 4 MiB of compressible-but-not-bomb-like text, declared as 1 KiB in both zip headers.
    rows = "".join(inline_row(n, os.urandom(16).hex()) for n in range(1, 60_000))
    path = write_raw_xlsx(tmp_path / "liar.xlsx", sheet_xml(rows))
    understate_size(path, "xl/worksheets/sheet1.xml", declared=1024)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 1024

    message = rejection(path, FileLimits(max_uncompressed_bytes=2 * 1024 * 1024))

    assert message.startswith("The file is not a readable .xlsx workbook (Bad CRC-32")


def test_billion_laughs_in_a_sheet_is_refused(tmp_path: Path) -> None:
    sheet = sheet_xml(inline_row(1, "&lol9;"), prologue=BILLION_LAUGHS_PROLOGUE)
    path = write_raw_xlsx(tmp_path / "laughs.xlsx", sheet)

    assert "XML entity declarations" in rejection(path)


def test_billion_laughs_is_refused_by_the_parser_too_if_it_gets_past_the_scan(
    tmp_path: Path,
) -> None:
    sheet = sheet_xml(inline_row(1, "&lol9;"), prologue=BILLION_LAUGHS_PROLOGUE)
    path = write_raw_xlsx(tmp_path / "laughs.xlsx", sheet)

    with pytest.raises(FileRejected, match="XML entity declarations"), rejecting_unsafe_xml():
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        list(workbook["Customers"].iter_rows(values_only=True))


def test_an_external_entity_is_refused(tmp_path: Path) -> None:
    prologue = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    )
    path = write_raw_xlsx(tmp_path / "xxe.xlsx", sheet_xml(inline_row(1, "&xxe;"), prologue))

    assert "XML entity declarations" in rejection(path)
    with pytest.raises(FileRejected, match="XML entity declarations"), rejecting_unsafe_xml():
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        list(workbook["Customers"].iter_rows(values_only=True))


def test_a_file_that_is_not_a_zip_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    path.write_text("Name,Email\nAcme,office@acme.test\n")

    assert rejection(path) == "The file is not an .xlsx workbook"


def test_a_truncated_workbook_is_refused(tmp_path: Path) -> None:
    path = write_raw_xlsx(tmp_path / "whole.xlsx", sheet_xml(inline_row(1, "Name")))
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(path.read_bytes()[:-60])

    assert "not" in rejection(truncated) and "workbook" in rejection(truncated)


def test_a_zip_without_workbook_parts_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff")

    assert "no [Content_Types].xml, xl/workbook.xml" in rejection(path)


def test_a_file_over_the_size_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    path = write_raw_xlsx(tmp_path / "big.xlsx", sheet_xml(inline_row(1, "Name")))

    message = rejection(path, FileLimits(max_file_bytes=100))

    assert message.startswith("The file is") and "largest accepted is 0.0 MiB" in message


def test_too_many_zip_entries_are_refused(tmp_path: Path) -> None:
    extra = {f"xl/media/image{n}.png": b"x" for n in range(20)}
    path = write_raw_xlsx(tmp_path / "many.xlsx", sheet_xml(""), extra=extra)

    assert "at most 10 are allowed" in rejection(path, FileLimits(max_zip_entries=10))


def test_an_encrypted_entry_is_refused(tmp_path: Path) -> None:
    path = write_raw_xlsx(tmp_path / "locked.xlsx", sheet_xml(""))
    data = bytearray(path.read_bytes())
    # Set the "encrypted" general-purpose flag on the first central directory entry.
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1
    path.write_bytes(bytes(data))

    assert "encrypted" in rejection(path)
