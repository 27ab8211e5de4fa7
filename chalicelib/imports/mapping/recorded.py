"""The mapping an error workbook was made with, recorded in the workbook and read back.

An own-format import's error workbook carries two custom document properties (File → Info →
Properties → Advanced → Custom in Excel; kept when the file is edited and saved again):
``Sitebook import``, the id of the import that wrote it, and ``Sitebook mapping``, that
import's mapping as JSON. When the fixed workbook is uploaded again, the import named (in the
same tenant) gives its mapping; the JSON is the fallback when that record is gone. Document
properties were chosen over a hidden sheet because no sheet reader sees them and a user
cannot unhide and edit them by accident.
"""

from __future__ import annotations

import json
import logging
import zipfile
from typing import Any
from xml.etree import ElementTree

log = logging.getLogger("sitebook.imports")

IMPORT_PROPERTY = "Sitebook import"
MAPPING_PROPERTY = "Sitebook mapping"
_CUSTOM_PART = "docProps/custom.xml"
_MAX_PART_BYTES = 256 * 1024  # a handful of properties; anything larger is not ours


def recording_properties(item: Any) -> dict[str, str]:
    """The properties to write into ``item``'s error workbook; {} unless a mapping ran."""
    if item.source != "own_format" or not item.mapping:
        return {}
    return {IMPORT_PROPERTY: item.id, MAPPING_PROPERTY: json.dumps(item.mapping)}


def recorded_in(path: str) -> dict[str, Any] | None:
    """``{"import_id": str, "mapping": dict | None}`` from a workbook we wrote, else None.

    ``path`` is an .xlsx that passed the safety checks; anything unreadable or foreign here
    just means "not one of ours" (None), never an error.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(_CUSTOM_PART)
            if info.file_size > _MAX_PART_BYTES:
                return None
            root = ElementTree.fromstring(archive.read(info))  # noqa: S314 - size-capped, no DTD
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return None
    properties = {
        node.get("name"): "".join(node.itertext()).strip()
        for node in root
        if node.tag.endswith("}property")
    }
    import_id = properties.get(IMPORT_PROPERTY)
    if not import_id:
        return None
    try:
        mapping = json.loads(properties.get(MAPPING_PROPERTY) or "null")
    except ValueError:
        mapping = None
    return {"import_id": import_id, "mapping": mapping if isinstance(mapping, dict) else None}
