"""Writes of scores: recomputes (one snapshot per lens and 15-minute bucket), policy versions, the tradeoff matrix."""

import datetime as dt
import json
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients import access
from clients.models import Role, User
from core import events, phrases
from core.audit import audit_context
from core.broker import send_task_safely
from metrics import scoring
from metrics.locks import ALL_PROJECTS_LOCK, ONE_PROJECT_LOCK, session_lock, try_xact_lock
from metrics.scores.models import (
    POLICY_PARAMETERS,
    RAG_ORDER,
    CurrentScore,
    ScoreLens,
    ScoreSnapshot,
    ScoringPolicy,
    TradeoffProposal,
)
from metrics.scores.selectors import SCORING_INPUT_MODELS, current_policy, pghistory_event_table, scoring_inputs
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
    values = {
        "id": None,
        "project_id": result.project_id,
        "lens": lens,
        "bucket": bucket,
        "computed_at": now,
        "as_of": result.as_of,
        "policy_version": result.policy_version,
        "risk_score": result.risk_score,
        "tradeoff_score": result.tradeoff_score,
        "rag": result.rag,
        "stress_time": s.time,
        "stress_cost": s.cost,
        "stress_scope": s.scope,
        "stress_quality": s.quality,
        "stress_satisfaction": s.satisfaction,
        "stress_risk_register": s.risk_register,
        "schedule_performance_index": result.earned_value.schedule_performance_index,
        "cost_performance_index": result.earned_value.cost_performance_index,
        "result": result.to_dict(),
        "inputs": _inputs_figures(inputs),
    }
    # Positional construction in the model's field order: half the cost of keyword arguments (two per project
    # in a full recompute). A field added to ScoreSnapshot and missing here fails loudly (KeyError).
    return ScoreSnapshot(*[values[field.attname] for field in ScoreSnapshot._meta.concrete_fields])


def scores_recompute(
    *,
    project_ids: list[int] | None = None,
    channel: str = "task",
    now: dt.datetime | None = None,
    full: bool = False,
) -> int:
    """Recompute scores set-based and upsert one snapshot per project and 15-minute bucket.

    ``project_ids=None`` means every active project (the scheduled run, which also catches up
    projects marked stale while the broker was down). A project whose inputs did not change since its current
    score (no input record written, same day, same policy, not marked stale) is carried into the new bucket by
    SQL alone; the others are computed (``full=True`` computes every one). A PostgreSQL advisory lock makes
    overlapping runs skip instead of double-running. Returns the number of projects scored (CMO lens).
    """
    now = now or timezone.now()
    written = 0
    with audit_context(channel=channel, reason="Score recompute"):
        if project_ids is None:
            # Every batch commits on its own: an edit's one-project recompute waits at most for one batch's
            # rows, never for the whole run (issue 13). A killed run leaves whole batches; the redelivered run
            # carries or recomputes the rest (one snapshot per project, lens and bucket).
            with session_lock(ALL_PROJECTS_LOCK) as held:
                if not held:
                    logger.info("Another recompute of all projects is running; skipping.")
                    return 0
                ids = list(
                    Project.objects.filter(status=ProjectStatus.ACTIVE).order_by("pk").values_list("pk", flat=True)
                )
                policy = current_policy().as_policy()
                unchanged = set() if full else _unchanged_projects(ids, now, policy.version)
                carried = [pid for pid in ids if pid in unchanged]
                for start in range(0, len(carried), CARRY_BATCH_SIZE):
                    with transaction.atomic():
                        written += _carry_forward(carried[start : start + CARRY_BATCH_SIZE], bucket_of(now))
                changed = [pid for pid in ids if pid not in unchanged]
                for start in range(0, len(changed), BATCH_SIZE):
                    with transaction.atomic():
                        written += _recompute_batch(changed[start : start + BATCH_SIZE], policy, now)
            return written
        ids = sorted(set(project_ids))
        with transaction.atomic():
            if len(ids) == 1 and not try_xact_lock(ONE_PROJECT_LOCK, ids[0]):
                return 0  # the same project is being recomputed right now; that run sees our data
            policy = current_policy().as_policy()
            for start in range(0, len(ids), BATCH_SIZE):
                written += _recompute_batch(ids[start : start + BATCH_SIZE], policy, now)
    return written


# A transaction's audit events carry its start time: an input written by a transaction that began up to this long
# before a score was computed, and committed after the score read its inputs, still counts as a change.
CHANGE_WINDOW = dt.timedelta(minutes=10)

CARRY_BATCH_SIZE = 2500


_NO_CHANGE = (
    "NOT EXISTS (SELECT 1 FROM {events} e WHERE e.{column} = c.project_id "
    "AND e.pgh_created_at >= c.computed_at - %(window)s)"
)

_UNCHANGED = """
SELECT c.project_id
FROM {current} c
JOIN {current} cl ON cl.project_id = c.project_id AND cl.lens = %(client)s AND cl.bucket = c.bucket
JOIN {snapshots} s ON s.id = c.snapshot_id
JOIN {projects} p ON p.id = c.project_id
WHERE c.lens = %(cmo)s AND c.project_id = ANY(%(ids)s) AND NOT p.scores_stale
    AND s.as_of = %(as_of)s AND s.policy_version = %(policy)s AND {no_change}
"""


def _unchanged_projects(ids: list[int], now: dt.datetime, policy_version: int) -> set[int]:
    """Of ``ids``, the projects whose current scores (both lenses) still hold at ``now``: computed for the same
    day under the same policy, not marked stale, and no record the scores are computed from (``SCORING_INPUT_MODELS``:
    read from their audit event tables, which every write reaches, services, admin or raw SQL alike) written since.
    One statement."""
    quote = connection.ops.quote_name
    no_change = []
    for model in SCORING_INPUT_MODELS:
        events = pghistory_event_table(model)
        column = "pgh_obj_id" if model is Project else "project_id"
        no_change.append(_NO_CHANGE.format(events=quote(events), column=quote(column)))
    sql = _UNCHANGED.format(
        current=quote(CurrentScore._meta.db_table),
        snapshots=quote(ScoreSnapshot._meta.db_table),
        projects=quote(Project._meta.db_table),
        no_change=" AND ".join(no_change),
    )
    params = {
        "client": ScoreLens.CLIENT,
        "cmo": ScoreLens.CMO,
        "ids": list(ids),
        "as_of": now.date(),
        "policy": policy_version,
        "window": CHANGE_WINDOW,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


_CARRY = """
WITH carried AS (
    INSERT INTO {snapshots} (project_id, lens, bucket, {columns})
    SELECT s.project_id, s.lens, %(bucket)s, {source_columns}
    FROM {current} c JOIN {snapshots} s ON s.id = c.snapshot_id
    WHERE c.project_id = ANY(%(ids)s) AND c.bucket < %(bucket)s
    ORDER BY s.project_id, s.lens
    ON CONFLICT (project_id, lens, bucket) DO NOTHING
    RETURNING id, project_id, lens, bucket, computed_at, rag, risk_score
), pointed AS (
    INSERT INTO {current} (project_id, lens, snapshot_id, bucket, computed_at, rag, risk_score)
    SELECT project_id, lens, id, bucket, computed_at, rag, risk_score FROM carried ORDER BY project_id, lens
    ON CONFLICT (project_id, lens) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, bucket = EXCLUDED.bucket,
        computed_at = EXCLUDED.computed_at, rag = EXCLUDED.rag, risk_score = EXCLUDED.risk_score
    WHERE ({current}.bucket, {current}.computed_at) <= (EXCLUDED.bucket, EXCLUDED.computed_at)
)
SELECT count(*) FILTER (WHERE lens = %(cmo)s) FROM carried
"""


def _carry_forward(ids: list[int], bucket: dt.datetime) -> int:
    """Copy the current scores of ``ids`` (inputs unchanged) into ``bucket``, stamped now: the same figures,
    confirmed at this run. A row already in the bucket (an edit's fresher score) stays. Returns projects carried."""
    quote = connection.ops.quote_name
    columns = [ScoreSnapshot._meta.get_field(name).column for name in SNAPSHOT_FIELDS]
    sql = _CARRY.format(
        snapshots=quote(ScoreSnapshot._meta.db_table),
        current=quote(CurrentScore._meta.db_table),
        columns=", ".join(quote(c) for c in columns),
        source_columns=", ".join("%(stamp)s" if c == "computed_at" else f"s.{quote(c)}" for c in columns),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": list(ids), "bucket": bucket, "stamp": timezone.now(), "cmo": ScoreLens.CMO})
        return cursor.fetchone()[0]


def _recompute_batch(
    ids: list[int], policy: scoring.ScoringPolicy, now: dt.datetime, computed_at: dt.datetime | None = None
) -> int:
    """Compute and write the scores of ``ids`` at ``now`` (its day and bucket), stamped with the moment the batch
    starts reading (``computed_at``): the newest computation wins (``_upsert``)."""
    # Clear the stale mark first: an edit that lands while we compute sets it again.
    Project.objects.filter(pk__in=ids, scores_stale=True).update(scores_stale=False)
    bucket = bucket_of(now)
    computed_at = computed_at or timezone.now()
    snapshots = {}
    for lens in ScoreLens.values:  # the CMO's full score and the client lens, side by side
        inputs = scoring_inputs(ids, as_of=now.date(), lens=lens)
        snapshots[lens] = [
            _snapshot(scoring.compute_scores(inputs[pid], policy), inputs[pid], bucket, computed_at, lens)
            for pid in ids
            if pid in inputs
        ]
    previous = _previous_rags(ids)
    written = _upsert([snap for lens_snapshots in snapshots.values() for snap in lens_snapshots])
    # Alerts go to CMO staff (the full picture), for what was written: a computation older than the stored one
    # was not written and alerts nothing.
    _alert_on_worse_rag([s for s in snapshots[ScoreLens.CMO] if (s.project_id, s.lens) in written], previous)
    _publish_rag_changes(
        [s for lens in snapshots.values() for s in lens if (s.project_id, s.lens) in written], previous
    )
    return len(snapshots[ScoreLens.CMO])


# One statement per batch: the rows arrive as one JSON document (no per-row SQL text to build or parse), the
# snapshots are upserted, and each project's current score moves to the snapshot just written. Only forward:
# a row computed earlier than the stored one (a full run's batch that read its inputs before an edit's own
# recompute) changes nothing, and a current score never moves back to an older bucket.
_UPSERT = """
WITH incoming AS (
    SELECT * FROM json_populate_recordset(NULL::{snapshots}, %s::json) ORDER BY project_id, lens
), written AS (
    INSERT INTO {snapshots} (project_id, lens, bucket, {columns})
    SELECT project_id, lens, bucket, {columns} FROM incoming
    ON CONFLICT (project_id, lens, bucket) DO UPDATE SET {updates}
    WHERE {snapshots}.computed_at <= EXCLUDED.computed_at
    RETURNING id, project_id, lens, bucket, computed_at, rag, risk_score
), pointed AS (
    INSERT INTO {current} (project_id, lens, snapshot_id, bucket, computed_at, rag, risk_score)
    SELECT project_id, lens, id, bucket, computed_at, rag, risk_score FROM written ORDER BY project_id, lens
    ON CONFLICT (project_id, lens) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, bucket = EXCLUDED.bucket,
        computed_at = EXCLUDED.computed_at, rag = EXCLUDED.rag, risk_score = EXCLUDED.risk_score
    WHERE ({current}.bucket, {current}.computed_at) <= (EXCLUDED.bucket, EXCLUDED.computed_at)
)
SELECT project_id, lens FROM written
"""


def _upsert_sql() -> str:
    quote = connection.ops.quote_name
    columns = [ScoreSnapshot._meta.get_field(name).column for name in SNAPSHOT_FIELDS]
    return _UPSERT.format(
        snapshots=quote(ScoreSnapshot._meta.db_table),
        current=quote(CurrentScore._meta.db_table),
        columns=", ".join(quote(c) for c in columns),
        updates=", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns),
    )


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat() if isinstance(value, dt.date) else value  # dates and datetimes


def _upsert(snapshots: list[ScoreSnapshot]) -> set[tuple[int, str]]:
    """Write ``snapshots`` and move the current scores forward; returns the (project, lens) pairs written."""
    if not snapshots:
        return set()
    names = ["project_id", "lens", "bucket", *SNAPSHOT_FIELDS]
    rows = [{name: _json_value(getattr(snap, name)) for name in names} for snap in snapshots]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [json.dumps(rows)])
        return {(project_id, lens) for project_id, lens in cursor.fetchall()}


_REPOINT = """
INSERT INTO {current} (project_id, lens, snapshot_id, bucket, computed_at, rag, risk_score)
SELECT DISTINCT ON (project_id, lens) project_id, lens, id, bucket, computed_at, rag, risk_score
FROM {snapshots} WHERE project_id = ANY(%s)
ORDER BY project_id, lens, bucket DESC, computed_at DESC
ON CONFLICT (project_id, lens) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, bucket = EXCLUDED.bucket,
    computed_at = EXCLUDED.computed_at, rag = EXCLUDED.rag, risk_score = EXCLUDED.risk_score
"""


def current_scores_repoint(project_ids: list[int]) -> None:
    """Point the current scores of ``project_ids`` at their newest snapshots (a repair, or snapshots written
    other than by the recompute: imports, fixtures); set-based."""
    quote = connection.ops.quote_name
    sql = _REPOINT.format(current=quote(CurrentScore._meta.db_table), snapshots=quote(ScoreSnapshot._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(project_ids)])


def _previous_rags(ids: list[int]) -> dict[tuple[int, str], str]:
    """Per project and lens: the RAG of its current score (the newest stored), before this run writes."""
    rows = CurrentScore.objects.filter(project_id__in=ids).values_list("project_id", "lens", "rag")
    return {(project_id, lens): rag for project_id, lens, rag in rows}


def _publish_rag_changes(snapshots: list[ScoreSnapshot], previous: dict) -> None:
    """A domain event per project and lens whose RAG changed (green before the first score), for webhooks: each
    lens's change reaches only that lens's readers (integrations.payloads)."""
    for snap in snapshots:
        before = previous.get((snap.project_id, snap.lens)) or "green"
        if snap.rag != before:
            events.publish(
                events.RAG_CHANGED,
                project_id=snap.project_id,
                record_id=snap.project_id,
                lens=snap.lens,
                previous_rag=before,
                rag=snap.rag,
                risk_score=str(snap.risk_score),
                tradeoff_score=str(snap.tradeoff_score),
                computed_at=snap.computed_at.isoformat(),
            )


#: A RAG band as a worse-RAG alert shouts it.
RAG_SHOUTED = {"green": gettext_noop("GREEN"), "amber": gettext_noop("AMBER"), "red": gettext_noop("RED")}


def _alert_on_worse_rag(snapshots: list[ScoreSnapshot], previous: dict) -> None:
    """Notify the PM (and leadership when red) when a project's RAG worsens; once per level."""
    worse = []
    for snap in snapshots:
        # Worse than the newest stored score (green before the first): a rerun at the same level, in the same
        # bucket or a later one, alerts nothing.
        if RAG_ORDER[snap.rag] > RAG_ORDER[previous.get((snap.project_id, ScoreLens.CMO)) or "green"]:
            worse.append(snap)
    if not worse:
        return
    projects = Project.objects.in_bulk([s.project_id for s in worse])
    leadership = list(User.objects.filter(role=Role.LEADERSHIP, is_active=True))
    for snap in worse:
        project = projects[snap.project_id]
        # The top two reasons' sentences, as phrases: each reader reads them in their language.
        top = [
            (f.get("words") or {}).get("text") or f["text"]
            for f in snap.result["factors"][:2]
            if Decimal(f["stress"]) > 0
        ]
        values = {
            "code": project.code,
            "rag": phrases.phrase(RAG_SHOUTED[snap.rag]),
            "risk": Decimal(snap.risk_score).quantize(Decimal(1), ROUND_HALF_UP),
        }
        recipients = [project.manager] if project.manager_id else []
        if snap.rag == "red":
            recipients += leadership
        notify(
            recipients=recipients,
            kind="rag_worsened",
            project=project,
            text=phrases.phrase(
                gettext_noop("%(code)s is now %(rag)s (risk %(risk)s). %(reasons)s"),
                **values,
                reasons=phrases.joined(top, " "),
            )
            if top
            else phrases.phrase(gettext_noop("%(code)s is now %(rag)s (risk %(risk)s)."), **values),
            url=f"/projects/{project.pk}/",
        )


@transaction.atomic
def scoring_policy_create_version(*, actor, parameters: dict, note: str) -> ScoringPolicy:
    """Leadership changes weights or thresholds: a new version; old versions never change."""
    if not access.can_lead(actor):
        raise PermissionDenied(_("Only leadership and administrators change the scoring policy."))
    if not (note or "").strip():
        raise ValidationError({"note": [_("Say why the policy changes.")]})
    unknown = set(parameters) - set(POLICY_PARAMETERS)
    if unknown:
        raise ValidationError({name: [_("Not a policy parameter.")] for name in sorted(unknown)})
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
        d: [_("Choose one of %(values)s.") % {"values": ", ".join(scoring.CONSTRAINT_LEVELS)}]
        for d in ("time", "scope", "quality", "cost")
        if matrix.get(d) not in levels
    }
    if errors:
        raise ValidationError(errors)
    problems = scoring.validate_tradeoff_matrix(
        scoring.TradeoffMatrix(**{d: matrix[d] for d in ("time", "scope", "quality", "cost")})
    )
    if problems:  # the pure rule's words in English; the one problem left here (levels are checked above), translated
        constrained = [d for d in ("time", "scope", "quality", "cost") if matrix[d] == "constrain"]
        raise ValidationError(
            {
                "non_field_errors": [
                    _(
                        "At most %(most)s dimensions may be 'constrain' (got %(count)s: %(dimensions)s); a project "
                        "where everything is fixed has no room to trade."
                    )
                    % {
                        "most": scoring.MAX_CONSTRAIN_DIMENSIONS,
                        "count": len(constrained),
                        "dimensions": ", ".join(constrained),
                    }
                ]
            }
        )
    return {d: matrix[d] for d in ("time", "scope", "quality", "cost")}


@transaction.atomic
def tradeoff_set(*, actor, project: Project, matrix: dict[str, str], reason: str) -> Project:
    """The client's approver (or an admin) sets the project's tradeoff matrix; audited."""
    if not access.can_set_tradeoff(actor, project):
        raise PermissionDenied(_("Only an approver of the project's client sets the tradeoff matrix."))
    matrix = _validated_matrix(matrix)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the priorities change.")]})
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


#: A priority level as the proposal's notification says it (lower case, like the English machine value).
TRADEOFF_LEVEL_WORDS = {
    "constrain": gettext_noop("constrain"),
    "optimize": gettext_noop("optimize"),
    "accept": gettext_noop("accept"),
}


@transaction.atomic
def tradeoff_propose(*, actor, project: Project, matrix: dict[str, str], reason: str) -> TradeoffProposal:
    """The PM proposes priorities; the client's approvers are notified and decide."""
    if not access.can_edit_project(actor, project):
        raise PermissionDenied(_("Only the project's manager proposes a tradeoff matrix."))
    matrix = _validated_matrix(matrix)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why you propose these priorities.")]})
    TradeoffProposal.objects.filter(project=project, status="pending").update(status="declined")
    proposal = TradeoffProposal.objects.create(project=project, proposed_by=actor, reason=reason.strip(), **matrix)
    notify(
        recipients=client_approvers(project),
        kind="tradeoff_proposed",
        project=project,
        text=phrases.phrase(
            gettext_noop(
                "%(code)s: %(name)s proposes new priorities (time %(time)s, scope %(scope)s, quality %(quality)s, "
                "cost %(cost)s)."
            ),
            code=project.code,
            name=actor.display_name,
            **{d: phrases.phrase(TRADEOFF_LEVEL_WORDS[matrix[d]]) for d in ("time", "scope", "quality", "cost")},
        ),
        url=f"/projects/{project.pk}/scores/",
    )
    return proposal


@transaction.atomic
def tradeoff_decide(*, actor, proposal: TradeoffProposal, accept: bool) -> TradeoffProposal:
    proposal = TradeoffProposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)
    if proposal.status != "pending":
        raise ValidationError({"status": [_("This proposal was already decided.")]})
    if not access.can_sign_for_client(actor, proposal.project):
        raise PermissionDenied(_("Only an approver of the project's client decides on priorities."))
    if accept:
        tradeoff_set(actor=actor, project=proposal.project, matrix=proposal.matrix, reason=proposal.reason)
    TradeoffProposal.objects.filter(pk=proposal.pk).update(status="accepted" if accept else "declined")
    proposal.refresh_from_db()
    return proposal
