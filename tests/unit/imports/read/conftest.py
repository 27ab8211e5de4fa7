"""Paths of the read stage's small input files."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"


def data_file(*parts: str) -> str:
    return str(DATA.joinpath(*parts))
