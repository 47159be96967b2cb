"""Claiming a period for a periodic job (see ``PeriodicRun``)."""

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from metrics.periodic_runs.models import PeriodicRun

WEEKLY_DIGEST = "weekly_digest"
SURVEY_SCHEDULE = "survey_schedule"


def iso_week_start(moment: dt.datetime) -> dt.datetime:
    """Monday 00:00 UTC of the ISO week holding ``moment``."""
    day = moment.astimezone(dt.UTC).date()
    monday = day - dt.timedelta(days=day.weekday())
    return dt.datetime.combine(monday, dt.time.min, tzinfo=dt.UTC)


def hour_start(moment: dt.datetime) -> dt.datetime:
    """The start (UTC) of the hour holding ``moment``."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def periodic_run_claim(*, job: str, period_start: dt.datetime) -> bool:
    """Claim ``job`` for the period starting at ``period_start``, in the caller's transaction.

    True: this run owns the period (the claim commits or rolls back with the caller's work). False: the period
    was already claimed by a committed run; a concurrent claimant waits on the unique index until the first
    commits (then False) or rolls back (then True).
    """
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("Claim a period inside the transaction that does the work.")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PeriodicRun._meta.db_table} (job, period_start, ran_at) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (job, period_start) DO NOTHING RETURNING id",
            [job, period_start, timezone.now()],
        )
        return cursor.fetchone() is not None
