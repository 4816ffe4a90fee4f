"""Audits: the checks that keep a shared CRM's data clean (duplicates, stale
deals, broken rules, unused fields) and the definitions everyone works by."""
