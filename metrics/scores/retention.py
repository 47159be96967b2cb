"""How long score history is kept: every 15-minute snapshot for two days, the last of each hour for a month,
the last of each day after that (issue 13). Bounded history keeps the recompute and the scores API from slowing
down as the years pass; the trend chart reads the newest snapshots, and the newest of every project and lens is
always kept (it is the newest of its hour or day). Snapshots are derived figures, not GMP records: the audit
trail keeps the records they were computed from.
"""

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from metrics.scores.models import ScoreSnapshot

EVERY_SNAPSHOT_FOR = dt.timedelta(days=2)
HOURLY_FOR = dt.timedelta(days=30)

_PRUNE = """
DELETE FROM {table} AS s
USING (
    SELECT id FROM (
        SELECT id, row_number() OVER (
            PARTITION BY project_id, lens,
                date_trunc(CASE WHEN bucket >= %(hourly_since)s THEN 'hour' ELSE 'day' END, bucket AT TIME ZONE 'UTC')
            ORDER BY bucket DESC
        ) AS newest_first
        FROM {table}
        WHERE bucket < %(every_since)s
    ) ranked
    WHERE newest_first > 1
) AS thinned
WHERE s.id = thinned.id
"""


def snapshots_prune(*, now: dt.datetime | None = None) -> int:
    """Thin the history by the retention rule, in one set-based statement. Idempotent; returns rows deleted."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _PRUNE.format(table=connection.ops.quote_name(ScoreSnapshot._meta.db_table)),
            {"every_since": now - EVERY_SNAPSHOT_FOR, "hourly_since": now - HOURLY_FOR},
        )
        return cursor.rowcount
