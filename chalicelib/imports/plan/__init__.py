"""Stages 2–4, plan: lookups resolved, rows matched, linked and validated, outcomes decided."""
