"""Stage 6, report: counts, first errors, the results summary and the error workbook."""
