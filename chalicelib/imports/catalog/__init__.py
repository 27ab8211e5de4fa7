"""The catalog of importable fields: their definitions (data) and the functions that query them."""
