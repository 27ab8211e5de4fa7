"""An import's statuses: one list for the record, the API's schema and the worker."""

from __future__ import annotations

from typing import Literal

ImportStatus = Literal[
    "queued",
    "analyzing",
    "needs_mapping",
    "running",
    "succeeded",
    "completed_with_warnings",
    "completed_with_errors",
    "failed",
    "expired",
    "undoing",
    "undone",
]
