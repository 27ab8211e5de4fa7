"""Use cases of the records (customers, contacts, …): load, apply the domain's rules, persist."""
