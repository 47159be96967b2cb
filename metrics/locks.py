"""PostgreSQL advisory locks of the periodic metrics jobs: a second beat (or an overlapping run) skips.

Transaction-scoped (``pg_try_advisory_xact_lock``): released on commit or rollback, never leaked. The full
recompute commits batch by batch, so it holds a session lock (``session_lock``) released in ``finally`` (and by
PostgreSQL when a killed worker's connection closes).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# One key per job, all here so no two jobs ever share one.
ALL_PROJECTS_LOCK = 7_240_001  # the scheduled recompute of every active project
ONE_PROJECT_LOCK = 7_240_002  # first key of a one-project recompute (second key: the project id)
SURVEY_SCHEDULE_LOCK = 7_240_010  # hourly invitations, reminders and expiry
LEAN_ROLLUP_LOCK = 7_240_011  # nightly Lean roll-up and KPI target evaluation
DIGEST_LOCK = 7_240_012  # Monday's weekly digest
WEBHOOK_SWEEP_LOCK = 7_240_020  # integrations: the minute's sweep of due webhook deliveries


def try_xact_lock(*keys: int) -> bool:
    """Take the advisory lock for the current transaction; False if another session holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_xact_lock({', '.join(['%s'] * len(keys))})", keys)  # noqa: S608
        return bool(cursor.fetchone()[0])


@contextmanager
def session_lock(*keys: int) -> Iterator[bool]:
    """Hold the advisory lock for the block across transactions; yields False (and holds nothing) if another
    session holds it."""
    placeholders = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_lock({placeholders})", keys)  # noqa: S608
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT pg_advisory_unlock({placeholders})", keys)  # noqa: S608
