"""Import undo: what an import did, taken back from its ledger (plan.py decides, run.py writes)."""
