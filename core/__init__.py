"""Plumbing any app may use: audit context, API base classes, page helpers, form fields, input ranges.

The bottom layer: it imports no app of the portal (import-linter contract in pyproject.toml).
"""
