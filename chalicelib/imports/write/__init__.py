"""Stage 5, write: outcomes packed into batches and checkpoint groups, written and resumed."""
