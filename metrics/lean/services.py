"""Writes of Lean metrics: the nightly roll-up (replaces each project's ``LeanSnapshot`` rows), then the
evaluation of the clients' KPI targets; leadership records a target.
"""

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from clients import access
from clients.models import Client, Role, User
from core import phrases
from core.audit import audit_context
from metrics.lean import counters
from metrics.lean.models import ClientKpiTarget, KpiMetric, KpiStatus, LeanSnapshot
from metrics.lean.selectors import client_kpi_values, fetch_lean_data, kpi_comparison, kpi_status
from metrics.locks import LEAN_ROLLUP_LOCK, try_xact_lock
from metrics.quarters import quarter_label, quarter_of
from metrics.scores.models import ScoreLens
from projects.models import Project, ProjectStatus
from projects.notifications.services import notify

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


def lean_rollup_refresh(*, now: dt.datetime | None = None) -> int | None:
    """Recompute every project's Lean counters per quarter, replace the stored rows, then evaluate the
    clients' KPI targets. Returns the number of rows written; None if another run holds the lock.
    """
    now = now or timezone.now()
    written = 0
    with transaction.atomic(), audit_context(channel="task", reason="Lean roll-up"):
        if not try_xact_lock(LEAN_ROLLUP_LOCK):
            logger.info("Another Lean roll-up holds the lock; skipping.")
            return None
        ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start : start + BATCH_SIZE]
            rows = []
            for lens in ScoreLens.values:  # staff reports (every milestone) and the client's agreed KPIs
                for pid, data in fetch_lean_data(chunk, lens=lens).items():
                    for quarter, totals in counters.project_quarter_totals(data, now=now).items():
                        values = {name: getattr(totals, name) for name in counters.TOTAL_FIELDS}
                        rows.append(LeanSnapshot(project_id=pid, lens=lens, quarter=quarter, computed_at=now, **values))
            LeanSnapshot.objects.filter(project_id__in=chunk).delete()
            LeanSnapshot.objects.bulk_create(rows)
            written += len(rows)
        kpi_targets_evaluate(now=now)
    return written


KPI_RANGES = {
    KpiMetric.OTIF: (Decimal(0), Decimal(100)),
    KpiMetric.RIGHT_FIRST_TIME: (Decimal(0), Decimal(100)),
    KpiMetric.ON_TIME_MILESTONES: (Decimal(0), Decimal(100)),
    KpiMetric.ISSUE_RESPONSE_HOURS: (Decimal("0.1"), Decimal(10000)),
    KpiMetric.CSAT: (Decimal(1), Decimal(5)),
}


def _evaluate(targets: list[ClientKpiTarget], now: dt.datetime) -> list[ClientKpiTarget]:
    """Set each target's status and value; notify the clients' PMs and leadership of a new breach
    (once per target and quarter). Returns the targets newly breached.
    """
    quarter = quarter_of(now)
    values = client_kpi_values(sorted({t.client_id for t in targets}), quarter)
    newly_breached = []
    for target in targets:
        target.value = values.get(target.client_id, {}).get(target.metric)
        target.status = kpi_status(target.metric, target.target, target.value)
        target.evaluated_at = now
        if target.status == KpiStatus.BREACHED and target.breach_notified_quarter != quarter:
            target.breach_notified_quarter = quarter
            newly_breached.append(target)
    ClientKpiTarget.objects.bulk_update(targets, ["value", "status", "evaluated_at", "breach_notified_quarter"])
    if newly_breached:
        leadership = list(User.objects.filter(role=Role.LEADERSHIP, is_active=True))
        managers: dict[int, set[User]] = defaultdict(set)
        for project in Project.objects.filter(
            client_id__in={t.client_id for t in newly_breached}, status=ProjectStatus.ACTIVE, manager__is_active=True
        ).select_related("manager"):
            managers[project.client_id].add(project.manager)
        for target in newly_breached:
            notify(
                recipients=[*managers[target.client_id], *leadership],
                kind="kpi_target_breached",
                project=None,
                text=phrases.phrase(
                    gettext_noop(
                        "%(client)s: %(metric)s is %(value)s in %(quarter)s, against an agreed target of "
                        "%(comparison)s %(target)s."
                    ),
                    client=target.client.name,
                    metric=KpiMetric(target.metric).label,  # lazy: translated for each reader
                    value=target.value,
                    quarter=quarter_label(quarter),
                    comparison=kpi_comparison(target.metric),
                    target=target.target,
                ),
                url="/portfolio/kpi-targets/",
            )
    return newly_breached


def kpi_targets_evaluate(*, now: dt.datetime | None = None) -> list[ClientKpiTarget]:
    """Evaluate every active target of active clients (run by the nightly roll-up)."""
    targets = list(ClientKpiTarget.objects.filter(active=True, client__active=True).select_related("client"))
    return _evaluate(targets, now or timezone.now()) if targets else []


can_manage_kpi_targets = access.can_lead


@transaction.atomic
def kpi_target_set(*, actor, client: Client, metric: str, target, active: bool = True) -> ClientKpiTarget:
    """Leadership records a target agreed with the client (one per client and metric); evaluated at once."""
    if not can_manage_kpi_targets(actor):
        raise PermissionDenied(gettext("Only leadership and administrators record client KPI targets."))
    if metric not in KpiMetric.values:
        raise ValidationError(
            {"metric": [gettext("Choose one of %(values)s.") % {"values": ", ".join(KpiMetric.values)}]}
        )
    try:
        value = Decimal(str(target))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({"target": [gettext("Give a number.")]}) from error
    low, high = KPI_RANGES[KpiMetric(metric)]
    if not (value.is_finite() and low <= value <= high):
        raise ValidationError(  # gettext, not _: this function's "record, _ =" makes _ a local name
            {"target": [gettext("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}]}
        )
    with audit_context(actor=actor, reason="Client KPI target recorded"):
        record, _ = ClientKpiTarget.objects.update_or_create(
            client=client, metric=metric, defaults={"target": value, "active": active, "created_by": actor}
        )
        if active:
            _evaluate([ClientKpiTarget.objects.select_related("client").get(pk=record.pk)], timezone.now())
    record.refresh_from_db()
    return record
