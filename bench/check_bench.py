"""Times check_xlsx on a generated ~20 MiB workbook whose sheet inflates to about 210 MiB.

Usage: python bench/check_bench.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.xlsx.safety import FileLimits, check_xlsx  # noqa: E402
from tests.unit.xlsx.factories import (  # noqa: E402
    CONTENT_TYPES,
    ROOT_RELS,
    SHEET_NS,
    WORKBOOK,
    WORKBOOK_RELS,
    inline_row,
)

TARGET_BYTES = 20 * 1024 * 1024


def generate(path: Path) -> int:
    rows = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ]:
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>'.encode())
            while archive.fp.tell() < TARGET_BYTES:
                block = (
                    inline_row(n, f"Customer {n}", os.urandom(6).hex(), "Newtown NSW", "a@b.test")
                    for n in range(rows + 1, rows + 1001)
                )
                sheet.write("".join(block).encode())
                rows += 1000
            sheet.write(b"</sheetData></worksheet>")
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "twenty.xlsx"
        rows = generate(path)
        inflated = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size
        print(
            f"{path.stat().st_size / 2**20:.1f} MiB file, {rows:,} rows, "
            f"sheet inflates to {inflated / 2**20:.0f} MiB"
        )
        for _ in range(3):
            started = time.perf_counter()
            check_xlsx(path, FileLimits())
            print(f"check_xlsx: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
