"""Header text helpers shared by the readers, the suggester and saved mappings."""

from __future__ import annotations

import re

_CAMEL_LOWER_UPPER = re.compile(r"(?<=[a-z])(?=[A-Z])")
_CAMEL_ACRONYM = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_NUMBER_WORDS = re.compile(r"\b(no|num|nbr)\b\.?|#s?")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_DUPLICATE_SUFFIX = re.compile(r"\s*\(\d+\)\s*$")


def normalise_header(header: object) -> str:
    """Lower-case words of a header: camelCase split, punctuation dropped, "No."/"#" → "number".

    >>> normalise_header("SAAddressLine1")
    'sa address line 1'
    >>> normalise_header("Main phone #")
    'main phone number'
    """
    text = "" if header is None else str(header).strip()
    text = _DUPLICATE_SUFFIX.sub("", text)
    text = _CAMEL_ACRONYM.sub(" ", _CAMEL_LOWER_UPPER.sub(" ", text))
    text = _LETTER_DIGIT.sub(" ", text).lower().replace("_", " ")
    text = _NUMBER_WORDS.sub(" number ", text)
    text = text.replace("e-mail", "email").replace("e mail", "email")
    return " ".join(_NON_WORD.sub(" ", text).split())


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index: 0 → "A", 27 → "AB"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letter: str) -> int | None:
    """0-based index of a spreadsheet column letter ("AB" → 27), None if it is not one."""
    letter = letter.strip().upper()
    if not letter.isalpha() or not letter.isascii() or len(letter) > 3:
        return None
    index = 0
    for char in letter:
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1


def unique_headers(headers: list[str]) -> list[str]:
    """Keep duplicate header texts apart: ["Phone", "Phone"] → ["Phone", "Phone (2)"]."""
    seen: dict[str, int] = {}
    taken = {h.casefold() for h in headers}
    result = []
    for header in headers:
        key = header.casefold()
        count = seen.get(key, 0) + 1
        seen[key] = count
        if count == 1:
            result.append(header)
            continue
        candidate = f"{header} ({count})"
        while candidate.casefold() in taken:
            count += 1
            candidate = f"{header} ({count})"
        seen[key] = count
        taken.add(candidate.casefold())
        result.append(candidate)
    return result
