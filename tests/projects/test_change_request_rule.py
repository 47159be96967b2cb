"""What a change request moves is one rule: the what-if the approver signs equals what approval produces.

Property over random projects: open and completed milestones, with and without forecasts, every open
milestone or a chosen few, slips forward and back. The what-if's "after" scores equal the scores
recomputed from the database once the change is approved, and the page lists exactly what moves.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import scoring
from metrics.scores.selectors import change_from_request, current_policy, scoring_inputs, what_if
from projects.change_requests import services as change_request_services
from projects.models import Milestone, Project
from tests.clients.factories import PASSWORD
from tests.projects.factories import MilestoneFactory, ProjectFactory

TODAY = timezone.localdate()


class Rollback(Exception):
    pass


milestone_rows = st.lists(
    st.fixed_dictionaries(
        {
            "baseline_offset": st.integers(-200, 300),
            "forecast_offset": st.one_of(st.none(), st.integers(-30, 120)),
            "completed_days_ago": st.one_of(st.none(), st.integers(0, 100)),
            "weight": st.sampled_from([Decimal("0.1"), Decimal("0.25"), Decimal("0.4")]),
            "percent": st.sampled_from([Decimal(0), Decimal(30), Decimal(75)]),
            "chosen": st.booleans(),
        }
    ),
    min_size=1,
    max_size=6,
)


def build(world, rows) -> tuple[Project, list[Milestone]]:
    project = ProjectFactory(
        client=world.client_a, manager=world.pm, start_date=TODAY - dt.timedelta(days=400), target_date=TODAY
    )
    milestones = []
    for i, row in enumerate(rows):
        baseline = TODAY + dt.timedelta(days=row["baseline_offset"])
        completed = row["completed_days_ago"]
        milestones.append(
            MilestoneFactory(
                project=project,
                sequence=i + 1,
                baseline_date=baseline,
                forecast_date=None
                if row["forecast_offset"] is None
                else baseline + dt.timedelta(row["forecast_offset"]),
                actual_date=None if completed is None else TODAY - dt.timedelta(days=completed),
                percent_complete=Decimal(100) if completed is not None else row["percent"],
                weight=row["weight"],
            )
        )
    return project, milestones


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=milestone_rows, days=st.integers(-60, 400), choose=st.booleans())
def test_what_if_after_equals_the_scores_once_approved(world, rows, days, choose):
    try:
        with transaction.atomic():
            project, milestones = build(world, rows)
            chosen = [
                m for m, row in zip(milestones, rows, strict=True) if choose and row["chosen"] and not m.actual_date
            ]
            change = change_request_services.change_request_create(
                actor=world.pm,
                project=project,
                title="Extra validation batch",
                schedule_impact_days=days,
                cost_impact=Decimal("25000.00"),
                scope_impact_percent=Decimal(3),
                quality_impact="minor",
                moved_milestones=chosen,
            )
            change_request_services.change_request_submit(actor=world.pm, change=change)
            _, predicted = what_if(project=project, change=change_from_request(change), was_pending=True)
            before = {m.pk: (m.forecast_date, m.actual_date) for m in Milestone.objects.filter(project=project)}
            listed = dict(
                change_request_services.change_request_moves(change, Milestone.objects.filter(project=project))
            )

            change_request_services.change_request_decide(
                actor=world.approver_a, change=change, password=PASSWORD, approve=True
            )

            actual = scoring.compute_scores(scoring_inputs([project.pk])[project.pk], current_policy().as_policy())
            assert actual.risk_score == predicted.risk_score
            assert actual.tradeoff_score == predicted.tradeoff_score
            assert actual.stress == predicted.stress
            # The page's list is exactly what approval moved, to the listed dates.
            after = {m.pk: m.forecast_date for m in Milestone.objects.filter(project=project)}
            moved = {pk for pk in after if after[pk] != before[pk][0]}
            assert moved == {m.pk for m, new in listed.items() if new != before[m.pk][0]}
            assert all(after[m.pk] == new for m, new in listed.items())
            assert all(before[pk][1] is None for pk in moved)  # never a completed milestone
            if chosen:
                assert moved <= {m.pk for m in chosen}
            raise Rollback
    except Rollback:
        pass


def test_an_open_milestone_without_forecast_moves_from_its_baseline(world):
    project, (m,) = build(
        world,
        [
            {
                "baseline_offset": 30,
                "forecast_offset": None,
                "completed_days_ago": None,
                "weight": Decimal("0.5"),
                "percent": Decimal(0),
                "chosen": False,
            }
        ],
    )
    change = change_request_services.change_request_create(
        actor=world.pm, project=project, title="Slip", schedule_impact_days=10
    )
    change_request_services.change_request_submit(actor=world.pm, change=change)
    change_request_services.change_request_decide(
        actor=world.approver_a, change=change, password=PASSWORD, approve=True
    )
    m.refresh_from_db()
    assert m.forecast_date == m.baseline_date + dt.timedelta(days=10)


def test_the_pm_chooses_what_moves_and_the_approver_sees_it_before_signing(world, client):
    project, (first, second) = build(
        world,
        [
            {
                "baseline_offset": 30,
                "forecast_offset": 0,
                "completed_days_ago": None,
                "weight": Decimal("0.5"),
                "percent": Decimal(0),
                "chosen": False,
            },
            {
                "baseline_offset": 90,
                "forecast_offset": 0,
                "completed_days_ago": None,
                "weight": Decimal("0.5"),
                "percent": Decimal(0),
                "chosen": True,
            },
        ],
    )
    client.force_login(world.pm)
    response = client.post(
        reverse("project-change-requests", kwargs={"pk": project.pk}),
        {
            "title": "Later PPQ",
            "schedule_impact_days": 21,
            "cost_impact": "0",
            "scope_impact_percent": "0",
            "quality_impact": "none",
            "moved_milestones": [second.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = project.change_requests.get()
    assert change.moved_milestone_ids() == {second.pk}
    change_request_services.change_request_submit(actor=world.pm, change=change)

    client.force_login(world.approver_a)
    page = client.get(reverse("change-request-detail", kwargs={"pk": change.pk})).content.decode()
    assert "the milestones listed below move" in page
    assert second.name in page
    assert first.name not in page.split("Milestones if approved")[1].split("</table>")[0]

    change_request_services.change_request_decide(
        actor=world.approver_a, change=change, password=PASSWORD, approve=True
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.forecast_date == first.baseline_date
    assert second.forecast_date == second.baseline_date + dt.timedelta(days=21)


def test_a_change_that_would_move_dates_out_of_range_is_refused_and_writes_nothing(world):
    project, (m,) = build(
        world,
        [
            {
                "baseline_offset": 30,
                "forecast_offset": 0,
                "completed_days_ago": None,
                "weight": Decimal("0.5"),
                "percent": Decimal(0),
                "chosen": False,
            }
        ],
    )
    Milestone.objects.filter(pk=m.pk).update(forecast_date=dt.date(2099, 6, 1))
    change = change_request_services.change_request_create(
        actor=world.pm, project=project, title="Slip", schedule_impact_days=3000
    )
    change_request_services.change_request_submit(actor=world.pm, change=change)
    with pytest.raises(ValidationError):
        change_request_services.change_request_decide(
            actor=world.approver_a, change=change, password=PASSWORD, approve=True
        )
    m.refresh_from_db()
    change.refresh_from_db()
    assert m.forecast_date == dt.date(2099, 6, 1)
    assert change.status == "submitted"


def test_schedule_impact_beyond_ten_years_is_refused(world):
    with pytest.raises(ValidationError) as error:
        change_request_services.change_request_create(
            actor=world.pm, project=world.project_a, title="Forever", schedule_impact_days=3_000_000
        )
    assert "schedule_impact_days" in error.value.message_dict
