"""File names a user gave, made safe to store, to key in S3 and to send back in a download."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from chalicelib.domain.errors import FieldError, ValidationFailed

MAX_FILE_NAME = 200
# Categories no file name needs and an attacker uses: Cc (controls, NUL, newlines that split a
# header), Cf (bidi overrides such as U+202E that make "exe.csv" read as "vsc.exe", zero-width
# characters), Zl/Zp (line and paragraph separators), Co/Cn (private use, unassigned).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})
# Characters that break the quoted `filename` parameter or a path: never kept.
_UNSAFE_CHARACTERS = frozenset('"\\/')
_SPACES = re.compile(r"\s+")


def clean_file_name(name: str, *, field: str = "file_name") -> str:
    """``name`` as stored: NFC, without quotes, slashes, control, format (bidi, zero-width)
    or unassigned characters, whitespace runs made one space, at most MAX_FILE_NAME long.

    A name left empty (or only dots) by that is ValidationFailed (422) on ``field``.
    """
    text = unicodedata.normalize("NFC", name)
    kept = "".join(
        ch
        for ch in text
        if ch not in _UNSAFE_CHARACTERS and unicodedata.category(ch) not in _UNSAFE_CATEGORIES
    )
    cleaned = _SPACES.sub(" ", kept).strip()[:MAX_FILE_NAME].strip()
    if not cleaned.strip("."):
        raise ValidationFailed([FieldError(field, "must be a file name such as customers.csv")])
    return cleaned


def content_disposition(file_name: str) -> str:
    """An ``attachment`` Content-Disposition for ``file_name`` (RFC 6266, RFC 8187).

    ``filename`` is the ASCII fallback (accents dropped, other non-ASCII and anything
    unsafe in a quoted string made ``_``); ``filename*`` carries the cleaned name exactly,
    UTF-8 and percent-encoded. A name stored before cleaning existed is cleaned here too.
    """
    try:
        name = clean_file_name(file_name)
    except ValidationFailed:
        name = "download"
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_name = "".join(
        ch if 0x20 <= ord(ch) < 0x7F else "_" for ch in decomposed if not unicodedata.combining(ch)
    )
    ascii_name = ascii_name.replace("%", "_").strip() or "download"
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"
