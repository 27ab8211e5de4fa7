"""Measures the bare openpyxl read-only pass over a generated workbook: rows/s and peak RSS.

Usage: python bench/read_bench.py [ROWS]   (default 100000)
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import openpyxl


def generate(path: Path, rows: int) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Customers")
    sheet.append(["Name", "Email", "Phone", "Suburb", "Postcode", "Notes"])
    for n in range(rows):
        sheet.append(
            [f"Customer {n}", f"c{n}@example.test", "+61 2 9999 0000", "Newtown", 2042, "x" * 40]
        )
    book.save(path)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.xlsx"
        started = time.perf_counter()
        generate(path, rows)
        written = time.perf_counter() - started
        print(f"generated {rows:,} rows, {path.stat().st_size / 2**20:.1f} MiB in {written:.1f} s")
        # Generation's peak is write_only's (flat) too, so it does not mask the read's.
        before = peak_rss_mib()
        started = time.perf_counter()
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        # openpyxl looks for <dimension> before the rows; write_only files have none, so loading
        # them parses the sheet once more. Files saved by Excel carry it and load instantly.
        loaded = time.perf_counter() - started
        count = sum(1 for _ in book["Customers"].iter_rows(values_only=True))
        book.close()
        elapsed = time.perf_counter() - started
        print(
            f"read {count:,} rows in {elapsed:.2f} s ({loaded:.2f} s of it loading): "
            f"{count / elapsed:,.0f} rows/s, {count / (elapsed - loaded):,.0f} rows/s streaming"
        )
        print(f"peak RSS {peak_rss_mib():.1f} MiB (was {before:.1f} MiB before reading)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
