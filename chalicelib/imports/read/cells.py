"""One cell as read from a CSV or workbook: exporters' protective wrappers undone, giants marked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Excel holds at most 32,767 characters in a cell; a longer one cannot have come from a
# spreadsheet, and is most often a quote left open that swallowed the rows below it.
MAX_CELL_CHARS = 32_767
_PREVIEW_CHARS = 60

# ="0398765432": Excel's formula form that keeps leading zeros (ChoETL, tableExport, many CRMs).
_EQUALS_QUOTED = re.compile(r'^=\s*"((?:[^"]|"")*)"$', re.DOTALL)
# What a spreadsheet would otherwise turn into a number, a date or a formula: the reasons an
# exporter (or a person) types a leading apostrophe. Other text keeps one ("'Tis", "'s-Gravenhage").
_APOSTROPHE_GUARDED = re.compile(r"^'(?=[\d+\-=@(.#\t]|(?:true|false)$)", re.IGNORECASE)


@dataclass(frozen=True)
class OverlongCell:
    """A cell longer than any spreadsheet holds, in place of its text.

    The planner reports it as the cell's error (``message``); ``str()`` gives a short preview
    so errors and the error workbook never carry the whole text.
    """

    length: int
    preview: str
    lines: int

    @property
    def message(self) -> str:
        hint = (
            "; it spans many lines, so a quote is probably left open in the row above or here"
            if self.lines > 20
            else ""
        )
        return (
            f"is {self.length:,} characters long; a spreadsheet cell holds at most "
            f"{MAX_CELL_CHARS:,}{hint}"
        )

    def __str__(self) -> str:
        return f"{self.preview}… ({self.length:,} characters)"


def read_cell(value: Any) -> Any:
    """The value a person meant: ``="0810"`` → ``"0810"``, ``'0412 555 130`` → ``"0412 555 130"``,
    surrounding whitespace trimmed; a text over MAX_CELL_CHARS becomes an OverlongCell.

    Used by the CSV and the workbook readers alike, so every column (phones, postcodes,
    account numbers, any text) is unwrapped the same way. Non-text values pass unchanged.
    """
    if not isinstance(value, str):
        return value
    if len(value) > MAX_CELL_CHARS:
        return OverlongCell(len(value), value[:_PREVIEW_CHARS], value.count("\n") + 1)
    return unwrap_protected(value.strip())


def unwrap_protected(text: str) -> str:
    """``text`` without the wrapper an exporter put around it to stop a spreadsheet changing it.

    ``="..."`` (doubled quotes inside are one quote) gives its inner text; a single leading
    apostrophe goes when what follows would otherwise be read as a number, date, boolean or
    formula (``'0412``, ``'+61…``, ``'=SUM``, ``'TRUE``). Anything else is returned as given.
    """
    if match := _EQUALS_QUOTED.match(text):
        return match[1].replace('""', '"').strip()
    if _APOSTROPHE_GUARDED.match(text):
        return text[1:].strip()
    return text
