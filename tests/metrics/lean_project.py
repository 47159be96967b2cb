"""The small hand-built project whose Lean figures are worked out by hand in docs/lean.md.

``hand_built_data`` gives it to the pure functions, ``build_project_in_db`` stores it (for the roll-up and pages).
"""

import datetime as dt

from clients.models import Role
from metrics.lean import counters
from projects.models import Batch, ChangeRequest, Issue, IssueComment, Milestone, ServiceType
from tests.clients.factories import ClientFactory, ClientUserFactory, UserFactory
from tests.projects.factories import ProjectFactory


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


D = dt.date
NOW = at("2026-06-30T00:00:00")
Q1, Q2 = D(2026, 1, 1), D(2026, 4, 1)
START = D(2026, 1, 5)

# The hand-built project (dates chosen so every figure can be checked by hand; see docs/lean.md).
MILESTONES = [
    # sequence, name, baseline, actual, template days, value-adding
    (1, "Tech transfer package", D(2026, 1, 31), D(2026, 1, 30), 30, False),  # 25 days, on time
    (2, "Process familiarisation", D(2026, 3, 15), D(2026, 3, 20), 40, True),  # 49 days, late
    (3, "Engineering batch", D(2026, 4, 30), D(2026, 4, 28), 35, True),  # 39 days, on time
    (4, "Stability data (open)", D(2026, 5, 15), None, 20, True),  # open: no phase yet
    (5, "Final report", D(2026, 5, 31), D(2026, 6, 10), 0, False),  # 43 days from the 28 Apr, late; final
]
BATCHES = [
    # number, planned, actual, outcome, right first time
    ("B1", D(2026, 4, 10), D(2026, 4, 9), "released", True),  # on time, RFT: OTIF
    ("B2", D(2026, 4, 20), D(2026, 4, 25), "released", True),  # late, RFT
    ("B3", D(2026, 5, 5), D(2026, 5, 5), "rejected", False),  # on time, not RFT
    ("B4", D(2026, 5, 20), D(2026, 5, 18), "released", False),  # on time, released with rework: not RFT
    ("B5", D(2026, 6, 25), None, "pending", True),  # no outcome yet: not counted
]
CHANGES = [
    # created, submitted, decided, status
    (at("2026-02-01T09:00"), at("2026-02-03T09:00"), at("2026-02-10T09:00"), "approved"),  # CMO 2 d, client 7 d
    (at("2026-03-30T12:00"), at("2026-03-31T12:00"), at("2026-04-02T12:00"), "rejected"),  # CMO 1 d; client 0.5+1.5
    (at("2026-04-15T00:00"), None, None, "draft"),  # not submitted: not counted
    (at("2026-05-01T00:00"), at("2026-05-02T00:00"), None, "submitted"),  # CMO 1 d; client waits 59 d to NOW
    (at("2026-05-10T00:00"), at("2026-05-11T00:00"), None, "withdrawn"),  # CMO 1 d; no known end: no client wait
]
# Issue 1: opened 2 Feb 08:00; the PM answers at 14:00 (6 h: the CMO's move), the client replies
# two days later (2 d: the client's move), resolved next morning (18 h: the CMO's move).
# Issue 2: opened 1 Jun, no answer yet: 29 days on the CMO by NOW.


def hand_built_data(project_id: int = 1) -> counters.LeanProjectData:
    return counters.LeanProjectData(
        project_id=project_id,
        start_date=START,
        milestones=tuple(counters.LeanMilestone(s, n, b, a, d, v) for s, n, b, a, d, v in MILESTONES),
        batches=tuple(counters.LeanBatch(p, a, o, r) for _, p, a, o, r in BATCHES),
        change_requests=tuple(counters.LeanChangeRequest(c, s, d, st) for c, s, d, st in CHANGES),
        issues=(
            counters.LeanIssue(
                opened_at=at("2026-02-02T08:00"),
                first_response_at=at("2026-02-02T14:00"),
                resolved_at=at("2026-02-05T08:00"),
                comments=(
                    counters.LeanComment(at("2026-02-02T14:00"), by_client=False),
                    counters.LeanComment(at("2026-02-04T14:00"), by_client=True),
                ),
            ),
            counters.LeanIssue(opened_at=at("2026-06-01T00:00"), first_response_at=None, resolved_at=None),
        ),
    )


def build_project_in_db(client=None, manager=None, code="LEAN-01", service_type=ServiceType.TECH_TRANSFER):
    project = ProjectFactory(
        client=client or ClientFactory(),
        manager=manager or UserFactory(role=Role.PROJECT_MANAGER),
        code=code,
        start_date=START,
        service_type=service_type,
    )
    for sequence, name, baseline, actual, days, value_adding in MILESTONES:
        Milestone.objects.create(
            project=project,
            sequence=sequence,
            name=name,
            baseline_date=baseline,
            forecast_date=baseline,
            actual_date=actual,
            percent_complete=100 if actual else 0,
            duration_days=days,
            value_adding=value_adding,
        )
    for number, planned, actual, outcome, rft in BATCHES:
        Batch.objects.create(
            project=project,
            number=number,
            planned_date=planned,
            actual_date=actual,
            outcome=outcome,
            right_first_time=rft,
        )
    for number, (created, submitted, decided, status) in enumerate(CHANGES, start=1):
        ChangeRequest.objects.create(
            project=project,
            number=number,
            title=f"CR {number}",
            created_by=project.manager,
            created_at=created,
            submitted_at=submitted,
            decided_at=decided,
            status=status,
        )
    client_user = ClientUserFactory(client=project.client)
    first = Issue.objects.create(
        project=project,
        title="Assay transfer question",
        raised_by=client_user,
        assigned_to=project.manager,
        opened_at=at("2026-02-02T08:00"),
        first_response_at=at("2026-02-02T14:00"),
        resolved_at=at("2026-02-05T08:00"),
        status="resolved",
    )
    IssueComment.objects.create(issue=first, author=project.manager, body="Looking", created=at("2026-02-02T14:00"))
    IssueComment.objects.create(issue=first, author=client_user, body="Here it is", created=at("2026-02-04T14:00"))
    Issue.objects.create(project=project, title="Open question", raised_by=client_user, opened_at=at("2026-06-01"))
    Issue.objects.create(  # internal: not part of the client-facing measures
        project=project, title="Internal", raised_by=project.manager, visibility="internal", opened_at=at("2026-02-01")
    )
    return project
