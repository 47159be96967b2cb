"""PostgreSQL advisory locks of the periodic metrics jobs: a second beat (or an overlapping run) skips.

Transaction-scoped (``pg_try_advisory_xact_lock``): released on commit or rollback, never leaked.
"""

from django.db import connection

SURVEY_SCHEDULE_LOCK = 7_240_010  # hourly invitations, reminders and expiry
LEAN_ROLLUP_LOCK = 7_240_011  # nightly Lean roll-up and KPI target evaluation


def try_xact_lock(*keys: int) -> bool:
    """Take the advisory lock for the current transaction; False if another session holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_xact_lock({', '.join(['%s'] * len(keys))})", keys)  # noqa: S608
        return bool(cursor.fetchone()[0])
