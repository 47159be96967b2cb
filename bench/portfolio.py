"""Scale data for ``make bench``: a realistic portfolio of N active projects, built set-based in minutes.

Shape (at 10,000 projects):

- many clients: one big sponsor that owns every 20th project (500 at 10k, 50 at 1k), the others 25 projects each
  (400 clients at 10k); every client has an approver and a viewer;
- 500 project managers with 20 projects each, one leadership user;
- per project: 30 milestones spread over its duration (done, slipping, partly complete; 80 % client-visible),
  one approved baseline, monthly cost entries up to today, 6 batches, 3 quality events (about a third open,
  half shared), 6 risks, 3 change requests (approved, submitted, draft), two quarterly survey rounds with an
  invitation and an answer of the client's approver;
- a year of weekly score snapshots for both lenses (``seed_score_history``).

Projects are numbered; project ``i`` is the same whatever range builds it (its random generator is seeded by
``i``), so ``build_portfolio(1000)`` followed by ``build_portfolio(10000, start=1000)`` equals one 10k build.

Rows go in set-based: projects with ``bulk_create`` (their ids are needed), every other table with one
``COPY ... FROM STDIN`` per table and 1,000 projects, survey rows with ``INSERT ... SELECT``.

Audit triggers. Fired row by row, pghistory's insert triggers cost 160-600 us per row here (a subtransaction per
row for their ``EXCEPTION`` blocks, and a context upsert per row): 30,000 milestones took 17-19 s with the
triggers against 0.8 s without. The bench therefore loads **with triggers off** (``SET LOCAL
session_replication_role = replica``, which needs the superuser connection the bench runs as) and then writes
the same audit events set-based, one ``INSERT ... SELECT`` per table, attributed to one audit context
(channel "bench"), so the event tables hold what the triggers would have written. Bench-only: the application
never switches its triggers off. Without superuser rights the build falls back to the triggers.
"""

import datetime as dt
import io
import json
import random
import time
import uuid
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.utils import DatabaseError

from clients.models import Client, Role, User
from metrics.quarters import previous_quarter, quarter_of
from metrics.scores.models import ScoreSnapshot
from metrics.surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse, SurveyRound, SurveyTrigger
from projects.baselines.models import Baseline, BaselineStatus
from projects.models import (
    Batch,
    ChangeRequest,
    CostEntry,
    Milestone,
    Project,
    ProjectStatus,
    QualityEvent,
    Risk,
    ServiceType,
)

BIG_CLIENT_EVERY = 20  # every 20th project belongs to the big sponsor
PROJECTS_PER_CLIENT = 25
PROJECTS_PER_PM = 20
MILESTONES_PER_PROJECT = 30
HISTORY_WEEKS = 52
INSERT_BATCH = 5000

BIG_CLIENT_SLUG = "bench-big-sponsor"
LEADERSHIP_USERNAME = "bench.leadership"
TRADEOFF_LEVELS = ("constrain", "optimize", "accept")
QUALITY_KINDS = ("deviation", "deviation", "oos", "capa", "complaint")
SEVERITIES = ("minor", "minor", "major", "critical")
COST_CATEGORIES = ("labour", "materials", "equipment", "subcontract", "other")


def client_slug(i: int) -> str:
    return BIG_CLIENT_SLUG if i % BIG_CLIENT_EVERY == 0 else f"bench-client-{i // PROJECTS_PER_CLIENT:04d}"


def approver_username(slug: str) -> str:
    return f"{slug}.approver"


def pm_username(i: int) -> str:
    return f"bench.pm.{i // PROJECTS_PER_PM:04d}"


def project_code(i: int) -> str:
    return f"BN-{i:05d}"


def _ensure_people(indices: range) -> tuple[dict[str, Client], dict[str, User], dict[str, User]]:
    """Clients, their approver and viewer, the PMs and leadership needed by projects ``indices``."""
    slugs = sorted({client_slug(i) for i in indices})
    existing = {c.slug: c for c in Client.objects.filter(slug__in=slugs)}
    Client.objects.bulk_create(
        [
            Client(slug=s, name="Big Sponsor Biologics" if s == BIG_CLIENT_SLUG else f"Client {s[-4:]} Pharma")
            for s in slugs
            if s not in existing
        ],
        batch_size=INSERT_BATCH,
    )
    clients = {c.slug: c for c in Client.objects.filter(slug__in=slugs)}
    unusable = make_password(None)  # bench users never log in with a password: the bench opens their sessions
    wanted = [User(username=LEADERSHIP_USERNAME, full_name="Lea Leadership", role=Role.LEADERSHIP, password=unusable)]
    for name in sorted({pm_username(i) for i in indices}):
        wanted.append(User(username=name, full_name=f"PM {name[-4:]}", role=Role.PROJECT_MANAGER, password=unusable))
    for slug, client in clients.items():
        wanted.append(
            User(username=approver_username(slug), role=Role.CLIENT_APPROVER, client=client, password=unusable)
        )
        wanted.append(User(username=f"{slug}.viewer", role=Role.CLIENT_VIEWER, client=client, password=unusable))
    have = set(User.objects.filter(username__in=[u.username for u in wanted]).values_list("username", flat=True))
    User.objects.bulk_create([u for u in wanted if u.username not in have], batch_size=INSERT_BATCH)
    users = {u.username: u for u in User.objects.filter(username__in=[u.username for u in wanted])}
    pms = {name: users[name] for name in users if name.startswith("bench.pm.")}
    approvers = {slug: users[approver_username(slug)] for slug in clients}
    return clients, pms, approvers


def _project(i: int, rng: random.Random, today: dt.date, clients, pms) -> Project:
    start = today - dt.timedelta(days=rng.randint(30, 720))
    duration = rng.randint(360, 900)
    levels = [rng.choice(TRADEOFF_LEVELS) for _ in range(4)]
    budget = Decimal(rng.randrange(300_000, 8_000_000, 1000))
    return Project(
        client=clients[client_slug(i)],
        code=project_code(i),
        name=f"{rng.choice(['Tech transfer', 'Scale-up', 'Clinical supply', 'PPQ', 'Fill-finish'])} {i}",
        product=f"mAb-{rng.randint(100, 999)}",
        service_type=rng.choice(ServiceType.values),
        manager=pms[pm_username(i)],
        status=ProjectStatus.ACTIVE,
        start_date=start,
        target_date=start + dt.timedelta(days=duration),
        budget=budget,
        contract_value=budget * Decimal("1.25"),
        tradeoff_time=levels[0],
        tradeoff_scope=levels[1],
        tradeoff_quality=levels[2],
        tradeoff_cost=levels[3],
        scores_stale=False,
    )


def _records(p: Project, rng: random.Random, today: dt.date, approver: User) -> dict[str, list]:
    """Every record of one project, unsaved (survey rows come apart: they need the rounds' ids)."""
    duration = (p.target_date - p.start_date).days
    lateness = rng.choice([0, 0, 0, 5, 10, 20, 45, 90])  # days the project ends up late
    milestones = []
    partial_done = False
    for s in range(1, MILESTONES_PER_PROJECT + 1):
        base = p.start_date + dt.timedelta(days=duration * s // MILESTONES_PER_PROJECT)
        forecast = base + dt.timedelta(days=lateness * s // MILESTONES_PER_PROJECT + rng.choice([0, 0, 1, 3]))
        done = forecast < today
        percent = Decimal(100) if done else Decimal(0)
        if not done and not partial_done:
            percent, partial_done = Decimal(rng.choice([0, 25, 50, 75])), True
        milestones.append(
            Milestone(
                project=p,
                sequence=s,
                name=f"Step {s}: {rng.choice(['URS', 'FAT', 'SAT', 'IQ', 'OQ', 'PQ', 'Batch', 'Report', 'Release'])}",
                baseline_date=base,
                forecast_date=forecast,
                actual_date=forecast if done else None,
                duration_days=duration // MILESTONES_PER_PROJECT,
                weight=Decimal("0.0333"),
                percent_complete=percent,
                client_visible=rng.random() < 0.8,
            )
        )
    months = max(1, min(duration, (today - p.start_date).days) // 30)
    overrun = Decimal(rng.choice(["0.85", "0.95", "1.0", "1.05", "1.2", "1.4"]))
    monthly = (p.budget * overrun / (duration // 30 or 1)).quantize(Decimal("0.01"))
    costs = [
        CostEntry(
            project=p,
            date=p.start_date + dt.timedelta(days=30 * k + 15),
            amount=monthly,
            category=COST_CATEGORIES[k % len(COST_CATEGORIES)],
            description=f"Month {k + 1}",
        )
        for k in range(months)
        if p.start_date + dt.timedelta(days=30 * k + 15) <= today
    ]
    batches = []
    for k in range(6):
        planned = p.start_date + dt.timedelta(days=duration * (k + 1) // 7)
        past = planned < today
        batches.append(
            Batch(
                project=p,
                number=f"{p.code}-B{k + 1}",
                planned_date=planned,
                actual_date=planned if past else None,
                outcome=("released" if rng.random() > 0.05 else "rejected") if past else "pending",
                right_first_time=past and rng.random() > 0.15,
            )
        )
    events = []
    for k in range(3):
        opened = p.start_date + dt.timedelta(days=rng.randint(0, max(1, (today - p.start_date).days)))
        kind = rng.choice(QUALITY_KINDS)
        closed = None if rng.random() < 0.35 else min(today, opened + dt.timedelta(days=rng.randint(5, 60)))
        events.append(
            QualityEvent(
                project=p,
                reference=f"{kind[:3].upper()}-{p.code}-{k + 1}",
                title=f"{kind.title()} {k + 1}",
                kind=kind,
                severity=rng.choice(SEVERITIES),
                opened=opened,
                due=opened + dt.timedelta(days=30) if kind == "capa" else None,
                closed=closed,
                visibility=rng.choice(["internal", "shared"]),
            )
        )
    risks = [
        Risk(
            project=p,
            title=f"Risk {k + 1}",
            probability=rng.randint(1, 5),
            impact=rng.randint(1, 5),
            owner=p.manager,
            mitigation="Monitor weekly.",
            status="open" if rng.random() < 0.8 else "closed",
            visibility=rng.choice(["internal", "shared"]),
        )
        for k in range(6)
    ]
    now = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC)
    changes = [
        ChangeRequest(
            project=p,
            number=1,
            title="Additional stability timepoint",
            schedule_impact_days=rng.choice([0, 7, 14]),
            cost_impact=Decimal(rng.randrange(0, 150_000, 500)),
            scope_impact_percent=Decimal(rng.choice([0, 2, 5, 10])),
            quality_impact=rng.choice(["none", "none", "minor", "major"]),
            status="approved",
            created_by=p.manager,
            created_at=now - dt.timedelta(days=90),
            submitted_at=now - dt.timedelta(days=85),
            decided_at=now - dt.timedelta(days=80),
            decided_by=approver,
        ),
        ChangeRequest(
            project=p,
            number=2,
            title="Second fill line",
            schedule_impact_days=rng.choice([0, 10]),
            cost_impact=Decimal(rng.randrange(0, 80_000, 500)),
            scope_impact_percent=Decimal(rng.choice([0, 3])),
            status="submitted" if rng.random() < 0.3 else "approved",
            created_by=p.manager,
            created_at=now - dt.timedelta(days=10),
            submitted_at=now - dt.timedelta(days=9),
        ),
        ChangeRequest(
            project=p, number=3, title="Draft: packaging change", created_by=p.manager, created_at=now, status="draft"
        ),
    ]
    for change in changes:  # an approved change was decided; the others were not
        if change.status != "approved":
            change.decided_at = change.decided_by = None
    baseline = Baseline(
        project=p,
        number=1,
        status=BaselineStatus.APPROVED,
        reason="Initial plan",
        budget=p.budget,
        created_by=p.manager,
        created_at=dt.datetime.combine(p.start_date, dt.time(9), tzinfo=dt.UTC),
        decided_at=dt.datetime.combine(p.start_date, dt.time(12), tzinfo=dt.UTC),
    )
    return {
        "milestones": milestones,
        "costs": costs,
        "batches": batches,
        "events": events,
        "risks": risks,
        "changes": changes,
        "baselines": [baseline],
    }


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.date | dt.datetime | Decimal | int):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(objs: list) -> int:
    """Insert unsaved model instances with one COPY (their defaults applied by the model, ids from the sequence)."""
    if not objs:
        return 0
    meta = type(objs[0])._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    text = "".join("\t".join(_copy_value(getattr(o, f.attname)) for f in fields) + "\n" for o in objs)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {meta.db_table} ({columns}) FROM STDIN", io.StringIO(text))
    return len(objs)


def _event_model(model):
    try:
        return apps.get_model(model._meta.app_label, f"{model.__name__}Event")
    except LookupError:
        return None


def _write_audit_events(models_since: dict, context_id: str) -> int:
    """What the insert triggers would have written, set-based: one event per row inserted after ``since``."""
    written = 0
    with connection.cursor() as cursor:
        for model, since in models_since.items():
            event = _event_model(model)
            if event is None or not any(f.name == "pgh_obj" for f in event._meta.fields):
                continue
            columns = [f.column for f in event._meta.concrete_fields if not f.column.startswith("pgh_")]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(
                f"INSERT INTO {event._meta.db_table} ({quoted}, pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id) "  # noqa: S608
                f"SELECT {quoted}, now(), 'insert', id, %s FROM {model._meta.db_table} WHERE id > %s",
                [context_id, since],
            )
            written += cursor.rowcount
    return written


def _max_ids(models) -> dict:
    with connection.cursor() as cursor:
        result = {}
        for model in models:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {model._meta.db_table}")  # noqa: S608
            result[model] = cursor.fetchone()[0]
        return result


def _triggers_off() -> bool:
    """Bench-only: no row triggers for this transaction (needs a superuser); False when not allowed."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    with connection.cursor() as cursor:  # the savepoint above released the setting with it: set it again
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def _survey_rows(project_ids: list[int], today: dt.date) -> int:
    """Two quarterly rounds per project, each with an invitation answered by the client's approver (set-based)."""
    quarters = [previous_quarter(quarter_of(today)), quarter_of(today)]
    answered_by = dt.datetime.combine(today, dt.time(7), tzinfo=dt.UTC)
    rounds, invitations, responses = (
        SurveyRound._meta.db_table,
        SurveyInvitation._meta.db_table,
        SurveyResponse._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {rounds} (project_id, trigger, quarter, opened_at) "  # noqa: S608
            "SELECT p.id, %s, q, q + time '08:00' "
            "FROM unnest(%s::bigint[]) AS p(id) CROSS JOIN unnest(%s::date[]) AS q",
            [SurveyTrigger.QUARTERLY, project_ids, quarters],
        )
        written = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {invitations} (round_id, project_id, recipient_id, status, sent_at, expires_at, answered_at) "  # noqa: S608
            f"SELECT r.id, r.project_id, u.id, %s, r.opened_at, r.opened_at + interval '30 days', "
            f"least(r.opened_at + interval '3 days', %s) "
            f"FROM {rounds} r JOIN projects_project p ON p.id = r.project_id "
            f"JOIN clients_user u ON u.client_id = p.client_id AND u.role = %s "
            f"WHERE r.project_id = ANY(%s)",
            [InvitationStatus.ANSWERED, answered_by, Role.CLIENT_APPROVER, project_ids],
        )
        written += cursor.rowcount
        # Answers vary by invitation: CSAT mostly 4-5, NPS 3-10 (a few detractors).
        cursor.execute(
            f"INSERT INTO {responses} (invitation_id, project_id, respondent_id, quarter, answered_at, "  # noqa: S608
            "csat_communication, csat_responsiveness, csat_quality, csat_schedule, csat_overall, nps, comment) "
            "SELECT i.id, i.project_id, i.recipient_id, r.quarter, i.answered_at, "
            "2 + (i.id * 7) %% 4, 2 + (i.id * 11) %% 4, 3 + (i.id * 13) %% 3, 2 + (i.id * 3) %% 4, "
            "2 + (i.id * 5) %% 4, 3 + (i.id * 17) %% 8, '' "
            f"FROM {invitations} i JOIN {rounds} r ON r.id = i.round_id WHERE i.project_id = ANY(%s)",
            [project_ids],
        )
        written += cursor.rowcount
    return written


LOADED_MODELS = (
    Client,
    User,
    Project,
    Milestone,
    CostEntry,
    Batch,
    QualityEvent,
    Risk,
    ChangeRequest,
    Baseline,
    SurveyRound,
    SurveyInvitation,
    SurveyResponse,
)


def build_portfolio(n: int, *, start: int = 0, today: dt.date | None = None, seed: int = 7, log=print) -> list[int]:
    """Create projects ``start .. n-1`` (active) with every record; returns their ids in order.

    Set-based (``bulk_create`` for projects, COPY for their records), 1,000 projects per transaction so memory
    stays flat at any scale; audit events written set-based (see the module's docstring).
    """
    today = today or dt.datetime.now(dt.UTC).date()
    ids: list[int] = []
    rows = 0
    started = time.perf_counter()
    context_id = str(uuid.uuid4())
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) VALUES (%s, %s, now(), now()) ",
            [context_id, json.dumps({"channel": "bench", "reason": "bench portfolio generator (bench/portfolio.py)"})],
        )
    triggers = "on"
    for chunk_start in range(start, n, 1000):
        chunk = range(chunk_start, min(n, chunk_start + 1000))
        with transaction.atomic():
            fast = _triggers_off()
            triggers = "off, events written set-based" if fast else "on (no superuser)"
            since = _max_ids(LOADED_MODELS)
            clients, pms, approvers = _ensure_people(chunk)
            rngs = {i: random.Random(seed * 1_000_003 + i) for i in chunk}
            projects = Project.objects.bulk_create(
                [_project(i, rngs[i], today, clients, pms) for i in chunk], batch_size=INSERT_BATCH
            )
            tables: dict[str, list] = {}
            for i, p in zip(chunk, projects, strict=True):
                for name, objs in _records(p, rngs[i], today, approvers[client_slug(i)]).items():
                    tables.setdefault(name, []).extend(objs)
            for objs in tables.values():
                rows += copy_rows(objs)
            chunk_ids = [p.pk for p in projects]
            rows += len(projects) + _survey_rows(chunk_ids, today)
            if fast:
                rows += _write_audit_events(since, context_id)
        ids += chunk_ids
        log(
            f"  built projects {chunk_start:>5}..{chunk.stop - 1:<5} "
            f"({rows:,} rows incl. audit events, {time.perf_counter() - started:5.1f} s; triggers {triggers})"
        )
    return ids


def seed_score_history(ids: list[int], *, now: dt.datetime, weeks: int = HISTORY_WEEKS) -> int:
    """A year of weekly snapshots (both lenses) behind ``now``, from one real recompute; returns rows written.

    One real recompute of ``ids`` is written one week before ``now``; the weeks before it are copied from it in
    one INSERT ... SELECT with the risk score drifting up to ±12 points and the RAG following the policy's
    thresholds (so the trend chart moves). The newest week keeps the real RAG: the measured recompute starts
    from the state a 15-minute schedule leaves behind.
    """
    from metrics.scores.selectors import current_policy
    from metrics.scores.services import bucket_of, scores_recompute

    last = bucket_of(now) - dt.timedelta(weeks=1)
    written = 0
    for k in range(0, len(ids), 2000):
        scores_recompute(project_ids=ids[k : k + 2000], now=last)
    policy = current_policy().as_policy()
    table = ScoreSnapshot._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (project_id, lens, bucket, computed_at, as_of, policy_version, risk_score,
                tradeoff_score, rag, stress_time, stress_cost, stress_scope, stress_quality, stress_satisfaction,
                stress_risk_register, schedule_performance_index, cost_performance_index, result, inputs)
            SELECT s.project_id, s.lens, s.bucket - make_interval(weeks => w),
                s.computed_at - make_interval(weeks => w), s.as_of - 7 * w, s.policy_version, d.risk, s.tradeoff_score,
                CASE WHEN d.risk >= %(red)s THEN 'red' WHEN d.risk >= %(amber)s THEN 'amber' ELSE 'green' END,
                s.stress_time, s.stress_cost, s.stress_scope, s.stress_quality, s.stress_satisfaction,
                s.stress_risk_register, s.schedule_performance_index, s.cost_performance_index, s.result, s.inputs
            FROM {table} s
            CROSS JOIN generate_series(1, %(weeks)s - 1) AS w
            CROSS JOIN LATERAL (
                SELECT LEAST(100, GREATEST(0, s.risk_score + ((s.project_id * 31 + w * 17) %% 25) - 12))::numeric(5, 2)
                AS risk
            ) d
            WHERE s.bucket = %(last)s AND s.project_id = ANY(%(ids)s)
            """,  # noqa: S608 -- the table name is the model's
            {
                "weeks": weeks,
                "last": last,
                "ids": ids,
                "red": policy.red_threshold,
                "amber": policy.amber_threshold,
            },
        )
        written = cursor.rowcount
    return written + 2 * len(ids)
