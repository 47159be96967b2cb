"""Export jobs: an XLSX or PDF report built by a Celery worker, with its progress, kept in PostgreSQL for a day."""
