"""What every stored record carries beside its own fields: its version and who changed it when."""

from __future__ import annotations

# Kept by the store on every write; never compared, imported or exported as data.
BOOKKEEPING_FIELDS = ("version", "created_at", "updated_at", "created_by", "updated_by")
