"""Names as people see them: invisible characters dropped, and the display name derived."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")

# Unicode's Default_Ignorable_Code_Point property, as listed in DerivedCoreProperties.txt
# of the Unicode Character Database 15.1 (https://www.unicode.org/Public/15.1.0/ucd/
# DerivedCoreProperties.txt; the same ranges since 6.0 apart from U+180F, added in 14.0).
# These render as nothing, so "Zed Pty" and "Z\u200bed Pty" look the same to a person.
DEFAULT_IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul choseong/jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors, vowel separator
    (0x200B, 0x200F),  # zero width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, deprecated formats
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors 1-16
    (0xFEFF, 0xFEFF),  # zero width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # reserved
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol beams and phrases
    (0xE0000, 0xE0FFF),  # tag characters, variation selectors 17-256, reserved
)
_IGNORABLE = re.compile(
    "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in DEFAULT_IGNORABLE_RANGES) + "]"
)


def drop_default_ignorables(text: str) -> str:
    """``text`` without Default_Ignorable_Code_Point characters (see DerivedCoreProperties.txt).

    Zero-width spaces and joiners, soft hyphens, bidi marks, embeddings, overrides and
    isolates, variation selectors and tag characters: nothing a person can see, so two
    names differing only by them are the same name, and a stored name keeps none.
    """
    if text.isascii():  # every range starts above U+007F; most cells are ASCII
        return text
    return _IGNORABLE.sub("", text)


def derive_customer_name(
    name: str | None,
    company_name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> str | None:
    """The display name: ``name`` if given, else the company, else "first last".

    Whitespace is collapsed; None when every part is blank.
    """
    for candidate in (name, company_name):
        if text := _collapse(candidate):
            return text
    person = " ".join(part for part in (_collapse(first_name), _collapse(last_name)) if part)
    return person or None


def _collapse(value: str | None) -> str:
    return _SPACES.sub(" ", drop_default_ignorables(value or "")).strip()
