"""Scores on the Django side: policy versions, snapshots, recomputes, the score pages and API.

The formulas are the pure ``metrics.scoring``; this package fetches their inputs and stores their results.
"""
