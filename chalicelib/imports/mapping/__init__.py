"""Stage 1b, mapping: suggesting a column → field mapping, parsing and applying it, saving it."""
