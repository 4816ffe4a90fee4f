"""Benchmarks for crm-tui: each figure is our time beside a baseline measured
in the same run, and their ratio. Run ``python -m bench`` (see README)."""
