"""Reading and writing .xlsx safely: refusing hostile files, streaming rows, writing workbooks."""
