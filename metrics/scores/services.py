"""Writes of scores: recomputes (one snapshot per lens and 15-minute bucket), policy versions, the tradeoff matrix."""

import datetime as dt
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from clients import access
from clients.models import Role, User
from core.audit import audit_context
from core.broker import send_task_safely
from metrics import scoring
from metrics.locks import ALL_PROJECTS_LOCK, ONE_PROJECT_LOCK, session_lock, try_xact_lock
from metrics.scores.models import (
    POLICY_PARAMETERS,
    RAG_ORDER,
    ScoreLens,
    ScoreSnapshot,
    ScoringPolicy,
    TradeoffProposal,
)
from metrics.scores.selectors import current_policy, scoring_inputs
from projects.models import Project, ProjectStatus
from projects.notifications.services import client_approvers, notify

logger = logging.getLogger(__name__)

BUCKET_MINUTES = 15

BATCH_SIZE = 500

SNAPSHOT_FIELDS = [
    "computed_at",
    "as_of",
    "policy_version",
    "risk_score",
    "tradeoff_score",
    "rag",
    "stress_time",
    "stress_cost",
    "stress_scope",
    "stress_quality",
    "stress_satisfaction",
    "stress_risk_register",
    "schedule_performance_index",
    "cost_performance_index",
    "result",
    "inputs",
]


def bucket_of(moment: dt.datetime) -> dt.datetime:
    """Start of the 15-minute period containing ``moment`` (UTC)."""
    moment = moment.astimezone(dt.UTC)
    return moment.replace(minute=moment.minute - moment.minute % BUCKET_MINUTES, second=0, microsecond=0)


def _inputs_figures(inputs: scoring.ProjectInputs) -> dict:
    return {
        "budget": str(inputs.budget),
        "original_budget": str(inputs.original_budget),
        "actual_cost": str(inputs.actual_cost),
        "milestones": len(inputs.milestones),
        "approved_scope_change_percent": str(inputs.approved_scope_change_percent),
        "pending_change_requests": inputs.pending_change_requests,
        "approved_quality_impacts": list(inputs.approved_quality_impacts),
        "batches_total": inputs.batches_total,
        "batches_right_first_time": inputs.batches_right_first_time,
        "open_deviations": [
            inputs.open_deviations_minor,
            inputs.open_deviations_major,
            inputs.open_deviations_critical,
        ],
        "overdue_capas": inputs.overdue_capas,
        "csat_latest": None if inputs.csat_latest is None else str(inputs.csat_latest),
        "nps": None if inputs.nps is None else str(inputs.nps),
        "open_risk_exposures": list(inputs.open_risk_exposures),
        "tradeoff": {
            "time": inputs.tradeoff.time,
            "scope": inputs.tradeoff.scope,
            "quality": inputs.tradeoff.quality,
            "cost": inputs.tradeoff.cost,
        },
    }


def _snapshot(
    result: scoring.ScoreResult, inputs: scoring.ProjectInputs, bucket, now, lens: str = ScoreLens.CMO
) -> ScoreSnapshot:
    s = result.stress
    return ScoreSnapshot(
        project_id=result.project_id,
        lens=lens,
        bucket=bucket,
        computed_at=now,
        as_of=result.as_of,
        policy_version=result.policy_version,
        risk_score=result.risk_score,
        tradeoff_score=result.tradeoff_score,
        rag=result.rag,
        stress_time=s.time,
        stress_cost=s.cost,
        stress_scope=s.scope,
        stress_quality=s.quality,
        stress_satisfaction=s.satisfaction,
        stress_risk_register=s.risk_register,
        schedule_performance_index=result.earned_value.schedule_performance_index,
        cost_performance_index=result.earned_value.cost_performance_index,
        result=result.to_dict(),
        inputs=_inputs_figures(inputs),
    )


def scores_recompute(
    *, project_ids: list[int] | None = None, channel: str = "task", now: dt.datetime | None = None
) -> int:
    """Recompute scores set-based and upsert one snapshot per project and 15-minute bucket.

    ``project_ids=None`` means every active project (the scheduled run, which also catches up
    projects marked stale while the broker was down). A PostgreSQL advisory lock makes
    overlapping runs skip instead of double-running. Returns the number of snapshots written.
    """
    now = now or timezone.now()
    written = 0
    with audit_context(channel=channel, reason="Score recompute"):
        if project_ids is None:
            # Every batch commits on its own: an edit's one-project recompute waits at most for one batch's
            # rows, never for the whole run (issue 13). A killed run leaves whole batches; the redelivered run
            # upserts the same bucket again (one snapshot per project, lens and bucket).
            with session_lock(ALL_PROJECTS_LOCK) as held:
                if not held:
                    logger.info("Another recompute of all projects is running; skipping.")
                    return 0
                ids = list(
                    Project.objects.filter(status=ProjectStatus.ACTIVE).order_by("pk").values_list("pk", flat=True)
                )
                policy = current_policy().as_policy()
                for start in range(0, len(ids), BATCH_SIZE):
                    with transaction.atomic():
                        written += _recompute_batch(ids[start : start + BATCH_SIZE], policy, now)
            return written
        ids = sorted(set(project_ids))
        with transaction.atomic():
            if len(ids) == 1 and not try_xact_lock(ONE_PROJECT_LOCK, ids[0]):
                return 0  # the same project is being recomputed right now; that run sees our data
            policy = current_policy().as_policy()
            for start in range(0, len(ids), BATCH_SIZE):
                written += _recompute_batch(ids[start : start + BATCH_SIZE], policy, now)
    return written


def _recompute_batch(ids: list[int], policy: scoring.ScoringPolicy, now: dt.datetime) -> int:
    # Clear the stale mark first: an edit that lands while we compute sets it again.
    Project.objects.filter(pk__in=ids, scores_stale=True).update(scores_stale=False)
    bucket = bucket_of(now)
    snapshots = {}
    for lens in ScoreLens.values:  # the CMO's full score and the client lens, side by side
        inputs = scoring_inputs(ids, as_of=now.date(), lens=lens)
        snapshots[lens] = [
            _snapshot(scoring.compute_scores(inputs[pid], policy), inputs[pid], bucket, now, lens)
            for pid in ids
            if pid in inputs
        ]
    previous = _previous_rags(ids, bucket)
    ScoreSnapshot.objects.bulk_create(
        [snap for lens_snapshots in snapshots.values() for snap in lens_snapshots],
        update_conflicts=True,
        unique_fields=["project", "lens", "bucket"],
        update_fields=SNAPSHOT_FIELDS,
    )
    _alert_on_worse_rag(snapshots[ScoreLens.CMO], previous)  # alerts go to CMO staff: the full picture
    return len(snapshots[ScoreLens.CMO])


def _previous_rags(ids: list[int], bucket) -> dict[int, tuple[str | None, str | None]]:
    """Per project: (RAG of the latest earlier bucket, RAG already stored for this bucket)."""
    earlier = dict(
        ScoreSnapshot.objects.filter(project_id__in=ids, lens=ScoreLens.CMO, bucket__lt=bucket)
        .order_by("project_id", "-bucket")
        .distinct("project_id")
        .values_list("project_id", "rag")
    )
    same = dict(
        ScoreSnapshot.objects.filter(project_id__in=ids, lens=ScoreLens.CMO, bucket=bucket).values_list(
            "project_id", "rag"
        )
    )
    return {pid: (earlier.get(pid), same.get(pid)) for pid in ids}


def _alert_on_worse_rag(snapshots: list[ScoreSnapshot], previous: dict) -> None:
    """Notify the PM (and leadership when red) when a project's RAG worsens; once per level."""
    worse = []
    for snap in snapshots:
        before, already = previous.get(snap.project_id, (None, None))
        baseline = before or "green"
        if RAG_ORDER[snap.rag] > RAG_ORDER[baseline] and already != snap.rag:
            worse.append(snap)
    if not worse:
        return
    projects = Project.objects.in_bulk([s.project_id for s in worse])
    leadership = list(User.objects.filter(role=Role.LEADERSHIP, is_active=True))
    for snap in worse:
        project = projects[snap.project_id]
        top = " ".join(f["text"] for f in snap.result["factors"][:2] if Decimal(f["stress"]) > 0)  # sentences
        risk = Decimal(snap.risk_score).quantize(Decimal(1), ROUND_HALF_UP)
        recipients = [project.manager] if project.manager_id else []
        if snap.rag == "red":
            recipients += leadership
        notify(
            recipients=recipients,
            kind="rag_worsened",
            project=project,
            text=f"{project.code} is now {snap.rag.upper()} (risk {risk}). {top}".rstrip(),
            url=f"/projects/{project.pk}/",
        )


@transaction.atomic
def scoring_policy_create_version(*, actor, parameters: dict, note: str) -> ScoringPolicy:
    """Leadership changes weights or thresholds: a new version; old versions never change."""
    if not access.can_lead(actor):
        raise PermissionDenied("Only leadership and administrators change the scoring policy.")
    if not (note or "").strip():
        raise ValidationError({"note": ["Say why the policy changes."]})
    unknown = set(parameters) - set(POLICY_PARAMETERS)
    if unknown:
        raise ValidationError({name: ["Not a policy parameter."] for name in sorted(unknown)})
    clean = {k: str(Decimal(str(v))) for k, v in parameters.items()}
    try:
        scoring.ScoringPolicy(**{k: Decimal(v) for k, v in clean.items()})
    except ValueError as error:
        raise ValidationError({"parameters": [str(error)]}) from error
    version = (ScoringPolicy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    policy = ScoringPolicy.objects.create(version=version, parameters=clean, note=note.strip(), created_by=actor)
    transaction.on_commit(_enqueue_recompute_all)
    return policy


def _enqueue_recompute_all() -> None:
    send_task_safely("metrics.tasks.recompute_all_scores")  # broker down: the next scheduled run applies it


def _validated_matrix(matrix: dict[str, str]) -> dict[str, str]:
    levels = set(scoring.CONSTRAINT_LEVELS)
    errors = {
        d: [f"Choose one of {', '.join(scoring.CONSTRAINT_LEVELS)}."]
        for d in ("time", "scope", "quality", "cost")
        if matrix.get(d) not in levels
    }
    if errors:
        raise ValidationError(errors)
    problems = scoring.validate_tradeoff_matrix(
        scoring.TradeoffMatrix(**{d: matrix[d] for d in ("time", "scope", "quality", "cost")})
    )
    if problems:
        raise ValidationError({"non_field_errors": problems})
    return {d: matrix[d] for d in ("time", "scope", "quality", "cost")}


@transaction.atomic
def tradeoff_set(*, actor, project: Project, matrix: dict[str, str], reason: str) -> Project:
    """The client's approver (or an admin) sets the project's tradeoff matrix; audited."""
    if not access.can_set_tradeoff(actor, project):
        raise PermissionDenied("Only an approver of the project's client sets the tradeoff matrix.")
    matrix = _validated_matrix(matrix)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why the priorities change."]})
    with audit_context(actor=actor, reason=reason.strip()):
        Project.objects.filter(pk=project.pk).update(
            tradeoff_time=matrix["time"],
            tradeoff_scope=matrix["scope"],
            tradeoff_quality=matrix["quality"],
            tradeoff_cost=matrix["cost"],
            scores_stale=True,
        )
        TradeoffProposal.objects.filter(project=project, status="pending").update(status="declined")
    from projects.records import project_inputs_changed

    project_inputs_changed(project.pk)
    project.refresh_from_db()
    return project


@transaction.atomic
def tradeoff_propose(*, actor, project: Project, matrix: dict[str, str], reason: str) -> TradeoffProposal:
    """The PM proposes priorities; the client's approvers are notified and decide."""
    if not access.can_edit_project(actor, project):
        raise PermissionDenied("Only the project's manager proposes a tradeoff matrix.")
    matrix = _validated_matrix(matrix)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why you propose these priorities."]})
    TradeoffProposal.objects.filter(project=project, status="pending").update(status="declined")
    proposal = TradeoffProposal.objects.create(project=project, proposed_by=actor, reason=reason.strip(), **matrix)
    notify(
        recipients=client_approvers(project),
        kind="tradeoff_proposed",
        project=project,
        text=f"{project.code}: {actor.display_name} proposes new priorities (time {matrix['time']}, scope "
        f"{matrix['scope']}, quality {matrix['quality']}, cost {matrix['cost']}).",
        url=f"/projects/{project.pk}/scores/",
    )
    return proposal


@transaction.atomic
def tradeoff_decide(*, actor, proposal: TradeoffProposal, accept: bool) -> TradeoffProposal:
    proposal = TradeoffProposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)
    if proposal.status != "pending":
        raise ValidationError({"status": ["This proposal was already decided."]})
    if not access.can_sign_for_client(actor, proposal.project):
        raise PermissionDenied("Only an approver of the project's client decides on priorities.")
    if accept:
        tradeoff_set(actor=actor, project=proposal.project, matrix=proposal.matrix, reason=proposal.reason)
    TradeoffProposal.objects.filter(pk=proposal.pk).update(status="accepted" if accept else "declined")
    proposal.refresh_from_db()
    return proposal
