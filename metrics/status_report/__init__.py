"""A project's status report for a period: one page and its PDF (the client's version issued as a document)."""
