"""PostgreSQL advisory locks of the periodic metrics jobs: a second beat (or an overlapping run) skips.

Transaction-scoped (``pg_try_advisory_xact_lock``): released on commit or rollback, never leaked.
"""

from django.db import connection

# One key per job, all here so no two jobs ever share one.
ALL_PROJECTS_LOCK = 7_240_001  # the scheduled recompute of every active project
ONE_PROJECT_LOCK = 7_240_002  # first key of a one-project recompute (second key: the project id)
SURVEY_SCHEDULE_LOCK = 7_240_010  # hourly invitations, reminders and expiry
LEAN_ROLLUP_LOCK = 7_240_011  # nightly Lean roll-up and KPI target evaluation
DIGEST_LOCK = 7_240_012  # Monday's weekly digest


def try_xact_lock(*keys: int) -> bool:
    """Take the advisory lock for the current transaction; False if another session holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_xact_lock({', '.join(['%s'] * len(keys))})", keys)  # noqa: S608
        return bool(cursor.fetchone()[0])
