"""Lean metrics: pure counters and measures, the nightly roll-up, client KPI targets, the Lean pages and API."""
