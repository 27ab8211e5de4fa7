"""Stage 1, read: template sheets and own-format tables (encodings, delimiters, headers) as rows."""
