"""NPS and CSAT on hand-made answer sets; satisfaction by project, client and quarter; scores' inputs;
isolation of the satisfaction history; fixed query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from metrics.quarters import (
    next_quarter,
    parse_quarter,
    previous_quarter,
    quarter_label,
    quarter_of,
    split_by_quarter,
)
from metrics.scores.models import ScoreSnapshot
from metrics.scores.services import scores_recompute
from metrics.surveys import satisfaction
from metrics.surveys import selectors as survey_selectors
from metrics.surveys.models import InvitationStatus, SurveyInvitation
from tests.clients.factories import ClientUserFactory
from tests.conftest import api_as
from tests.metrics.factories import make_invitation, make_response
from tests.projects.factories import ProjectFactory

# --- NPS (pure) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "promoters", "passives", "detractors", "nps"),
    [
        ([10, 9, 8, 7, 6, 0], 2, 2, 2, Decimal("0.0")),
        ([10, 10, 10, 9], 4, 0, 0, Decimal("100.0")),
        ([0, 1, 2, 3, 4, 5, 6], 0, 0, 7, Decimal("-100.0")),
        ([7, 8, 8, 7, 7], 0, 5, 0, Decimal("0.0")),  # all passive: neither promoters nor detractors
        ([10, 9, 9, 7, 3], 3, 1, 1, Decimal("40.0")),
        ([10, 10, 6], 2, 0, 1, Decimal("33.3")),  # 33.333… rounded half up to 0.1
        ([9, 6, 6], 1, 0, 2, Decimal("-33.3")),
        ([10, 9, 5], 2, 0, 1, Decimal("33.3")),
        ([9, 9, 0], 2, 0, 1, Decimal("33.3")),
        ([9, 9, 9, 9, 9, 9, 0, 0, 7], 6, 1, 2, Decimal("44.4")),  # 400 / 9 = 44.44…
        ([10, 8], 1, 1, 0, Decimal("50.0")),
    ],
)
def test_nps_is_percent_promoters_minus_percent_detractors(scores, promoters, passives, detractors, nps):
    summary = satisfaction.nps_summary(scores)
    assert (summary.promoters, summary.passives, summary.detractors) == (promoters, passives, detractors)
    assert summary.responses == len(scores)
    assert summary.nps == nps


def test_nps_without_responses_is_none_not_zero():
    summary = satisfaction.nps_summary([])
    assert summary.responses == 0
    assert summary.nps is None
    assert satisfaction.net_promoter_score(promoters=0, detractors=0, responses=0) is None


def test_nps_boundaries_six_is_detractor_nine_is_promoter():
    assert satisfaction.nps_summary([6]).nps == Decimal(-100)
    assert satisfaction.nps_summary([7]).nps == Decimal(0)
    assert satisfaction.nps_summary([8]).nps == Decimal(0)
    assert satisfaction.nps_summary([9]).nps == Decimal(100)


@pytest.mark.parametrize("bad", [-1, 11])
def test_nps_refuses_answers_outside_0_10(bad):
    with pytest.raises(ValueError, match="0..10"):
        satisfaction.nps_summary([5, bad])


# --- CSAT (pure) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "mean", "satisfied_percent"),
    [
        ([5, 4, 3, 2, 1], Decimal("3.00"), Decimal("40.0")),
        ([4, 4, 5], Decimal("4.33"), Decimal("100.0")),
        ([5, 4], Decimal("4.50"), Decimal("100.0")),
        ([3, 3, 3], Decimal("3.00"), Decimal("0.0")),
        ([1, 2, 4], Decimal("2.33"), Decimal("33.3")),
        ([5, 5, 4, 2, 1, 3], Decimal("3.33"), Decimal("50.0")),
        ([2, 3], Decimal("2.50"), Decimal("0.0")),
    ],
)
def test_csat_mean_and_share_of_satisfied(scores, mean, satisfied_percent):
    summary = satisfaction.csat_summary(scores)
    assert summary.mean == mean
    assert summary.satisfied_percent == satisfied_percent
    assert summary.responses == len(scores)


def test_csat_without_responses_is_none():
    summary = satisfaction.csat_summary([])
    assert summary.mean is None
    assert summary.satisfied_percent is None


@pytest.mark.parametrize("bad", [0, 6])
def test_csat_refuses_answers_outside_1_5(bad):
    with pytest.raises(ValueError, match="1..5"):
        satisfaction.csat_summary([3, bad])


@pytest.mark.parametrize(
    ("nps", "csat", "expected"),
    [
        (6, [5, 5, 5, 5, 5], True),  # detractor
        (0, [5, 5, 5, 5, 5], True),
        (7, [3, 3, 3, 3, 3], False),  # passive, nothing below 3
        (10, [5, 2, 5, 5, 5], True),  # promoter but one CSAT of 2
        (9, [5, 5, 5, 5, 1], True),
        (9, [3, 4, 5, 4, 3], False),
    ],
)
def test_follow_up_for_detractors_and_csat_of_one_or_two(nps, csat, expected):
    assert satisfaction.needs_follow_up(nps=nps, csat=csat) is expected


# --- Quarters (pure) ----------------------------------------------------------------------------


def test_quarters():
    assert quarter_of(dt.date(2026, 3, 31)) == dt.date(2026, 1, 1)
    assert quarter_of(dt.date(2026, 4, 1)) == dt.date(2026, 4, 1)
    assert quarter_of(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 10, 1)
    assert previous_quarter(dt.date(2026, 1, 1)) == dt.date(2025, 10, 1)
    assert next_quarter(dt.date(2026, 10, 1)) == dt.date(2027, 1, 1)
    assert quarter_label(dt.date(2026, 7, 1)) == "2026 Q3"
    assert parse_quarter("2026Q3") == parse_quarter("2026-q3") == parse_quarter("2026 Q3") == dt.date(2026, 7, 1)
    assert parse_quarter("2026Q5") is None
    assert parse_quarter("soon") is None


def test_an_interval_is_split_across_quarters():
    start = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    end = dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC)
    assert split_by_quarter(start, end) == {
        dt.date(2026, 1, 1): dt.timedelta(hours=12),
        dt.date(2026, 4, 1): dt.timedelta(days=1, hours=12),
    }
    assert split_by_quarter(end, start) == {}


# --- Set-based reads --------------------------------------------------------------------------------

THIS_QUARTER = quarter_of(timezone.now())
LAST_QUARTER = previous_quarter(THIS_QUARTER)


def answer_set(project, user, answers, quarter):
    for nps, overall in answers:
        make_response(project, user, nps=nps, overall=overall, quarter=quarter)


def test_scoring_inputs_use_the_latest_quarter_and_the_one_before(world):
    answer_set(world.project_a, world.viewer_a, [(10, 5), (9, 4), (3, 2), (8, 4)], THIS_QUARTER)  # NPS 25, CSAT 3.75
    answer_set(world.project_a, world.viewer_a, [(10, 5), (10, 5)], LAST_QUARTER)  # NPS 100
    answer_set(world.project_b, world.viewer_b, [(7, 3), (8, 3)], LAST_QUARTER)  # all passive
    empty = ProjectFactory(client=world.client_a)

    with CaptureQueriesContext(connection) as ctx:
        inputs = survey_selectors.scoring_satisfaction_inputs(
            [world.project_a.pk, world.project_b.pk, empty.pk], timezone.localdate()
        )
    assert len(ctx.captured_queries) == 1
    assert inputs[world.project_a.pk]["csat"] == Decimal("3.75")
    assert inputs[world.project_a.pk]["nps"] == Decimal("25.0")
    assert inputs[world.project_a.pk]["nps_previous"] == Decimal("100.0")
    # Project B's latest quarter is last quarter: all passive, NPS exactly 0, nothing before it.
    assert inputs[world.project_b.pk] == {
        "csat": Decimal("3.00"),
        "nps": Decimal("0.0"),
        "nps_previous": None,
        "quarter": LAST_QUARTER,
    }
    assert empty.pk not in inputs  # no survey: the scores say "No survey yet."


def test_scoring_inputs_take_a_fixed_number_of_queries_for_any_number_of_projects(world):
    many = ProjectFactory.create_batch(30, client=world.client_a)
    for project in many[:10]:
        make_response(project, world.viewer_a, nps=9, overall=4)
    for ids in ([world.project_a.pk], [p.pk for p in many]):
        with CaptureQueriesContext(connection) as ctx:
            survey_selectors.scoring_satisfaction_inputs(ids, timezone.localdate())
        assert len(ctx.captured_queries) == 1


def test_survey_answers_feed_the_satisfaction_stress(world):
    answer_set(world.project_a, world.viewer_a, [(2, 2), (3, 1)], THIS_QUARTER)
    scores_recompute(project_ids=[world.project_a.pk])
    snapshot = ScoreSnapshot.objects.get(project=world.project_a, lens="cmo")
    assert snapshot.inputs["csat_latest"] == "1.50"
    assert snapshot.inputs["nps"] == "-100.0"
    assert snapshot.stress_satisfaction > Decimal("0.8")
    satisfaction_factor = next(f for f in snapshot.result["factors"] if f["constraint"] == "satisfaction")
    assert "NPS -100" in satisfaction_factor["text"]


def test_report_by_client_with_response_rate_and_trend(world):
    other_user = ClientUserFactory(client=world.client_a)
    answer_set(world.project_a, world.viewer_a, [(10, 5), (9, 4), (6, 3)], THIS_QUARTER)  # NPS 33.3
    answer_set(world.project_a, world.viewer_a, [(10, 5), (5, 2)], LAST_QUARTER)  # NPS 0
    make_invitation(world.project_a, other_user)  # invited, not answered
    answer_set(world.project_b, world.viewer_b, [(0, 1)], THIS_QUARTER)

    rows = {
        r.label: r
        for r in survey_selectors.satisfaction_report(user=world.leadership, by="client", quarter=THIS_QUARTER)
    }
    aurora = rows[world.client_a.name]
    assert (aurora.nps.promoters, aurora.nps.passives, aurora.nps.detractors) == (2, 0, 1)
    assert aurora.nps.nps == Decimal("33.3")
    assert aurora.csat.mean == Decimal("4.00")
    assert aurora.csat.satisfied_percent == Decimal("66.7")
    assert (aurora.invited, aurora.answered) == (4, 3)
    assert aurora.response_rate == Decimal("75.0")
    assert aurora.previous_nps == Decimal("0.0")
    assert aurora.nps_change == Decimal("33.3")
    assert aurora.csat_change == Decimal("0.50")
    assert rows[world.client_b.name].nps.nps == Decimal("-100.0")


def test_report_by_quarter_project_pm_and_service_type(world):
    answer_set(world.project_a, world.viewer_a, [(10, 5), (7, 4)], THIS_QUARTER)
    answer_set(world.project_a, world.viewer_a, [(3, 2)], LAST_QUARTER)
    by_quarter = survey_selectors.satisfaction_report(user=world.leadership, by="quarter", quarter=THIS_QUARTER)
    assert [r.key for r in by_quarter] == [THIS_QUARTER, LAST_QUARTER]
    assert by_quarter[0].nps.nps == Decimal("50.0")
    assert by_quarter[0].previous_nps == Decimal("-100.0")
    (project_row,) = survey_selectors.satisfaction_report(user=world.leadership, by="project", quarter=THIS_QUARTER)
    assert (project_row.label, project_row.project_id) == (world.project_a.code, world.project_a.pk)
    (pm_row,) = survey_selectors.satisfaction_report(user=world.leadership, by="manager", quarter=THIS_QUARTER)
    assert pm_row.key == world.pm.pk
    (service_row,) = survey_selectors.satisfaction_report(
        user=world.leadership, by="service_type", quarter=THIS_QUARTER
    )
    assert service_row.label == "Technology transfer"


def test_a_pm_reports_on_their_own_projects_only(world):
    mine = ProjectFactory(client=world.client_a, manager=world.other_pm, code="PM2-OWN-01")
    make_response(mine, world.viewer_a, nps=9, overall=5)
    make_response(world.project_a, world.viewer_a, nps=2, overall=2)
    rows = survey_selectors.satisfaction_report(user=world.other_pm, by="project", quarter=THIS_QUARTER)
    assert [r.label for r in rows] == ["PM2-OWN-01"]


# --- Isolation -----------------------------------------------------------------------------------------


def test_a_client_sees_its_own_satisfaction_history_never_another_clients(world, client):
    make_response(world.project_a, world.viewer_a, nps=9, overall=5, comment="Aurora is happy")
    make_response(world.project_b, world.viewer_b, nps=1, overall=1, comment="Borealis secret complaint")

    client.force_login(world.approver_a)
    page = client.get(reverse("survey-list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert world.project_a.code in body
    for secret in (world.project_b.code, world.project_b.name, world.client_b.name, "Borealis secret complaint"):
        assert secret not in body

    api = api_as(world.approver_a)
    listed = api.get(reverse("api:survey-response-list")).json()
    assert [r["project_code"] for r in listed["results"]] == [world.project_a.code]
    assert api.get(reverse("api:survey-response-list"), {"client": world.client_b.pk}).json()["count"] == 0
    b_response = world.project_b.survey_responses.get()
    assert api.get(reverse("api:survey-response-detail", kwargs={"pk": b_response.pk})).status_code == 404

    # Client B sees its own history (and not A's).
    client.force_login(world.viewer_b)
    body_b = client.get(reverse("survey-list")).content.decode()
    assert world.project_b.code in body_b
    assert world.project_a.code not in body_b


def test_a_client_never_sees_the_pm_workload_or_portfolio_reports(world, client):
    client.force_login(world.approver_a)
    for name in ("pm-workload", "lean-portfolio", "kpi-targets"):
        assert client.get(reverse(name)).status_code == 404
    api = api_as(world.approver_a)
    assert api.get(reverse("api:pm-certification-list")).status_code == 403
    assert api.get(reverse("api:portfolio-lean")).status_code == 403


def test_a_client_user_sees_only_their_own_invitations(world):
    mine = make_invitation(world.project_a, world.viewer_a)
    make_invitation(world.project_a, world.approver_a)  # a colleague's
    make_invitation(world.project_b, world.viewer_b)
    listed = api_as(world.viewer_a).get(reverse("api:survey-list")).json()
    assert [i["id"] for i in listed["results"]] == [mine.pk]
    assert listed["results"][0]["answer_url"].startswith("http://testserver/surveys/answer/")
    staff = api_as(world.leadership).get(reverse("api:survey-list")).json()
    assert staff["count"] == 3
    assert all(i["answer_url"] is None for i in staff["results"])  # staff never get a link to answer


# --- Query counts -------------------------------------------------------------------------------------


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _add_answers(world, n: int):
    for i in range(n):
        project = ProjectFactory(client=world.client_a, manager=world.pm)
        make_response(project, world.viewer_a, nps=i % 11, overall=1 + i % 5, comment=f"Answer {i}")
        make_invitation(project, world.viewer_a)


@pytest.mark.parametrize(
    ("user_attr", "url_name", "query"),
    [
        ("viewer_a", "survey-list", ""),
        ("leadership", "survey-list", ""),
        ("leadership", "survey-list", "?by=project"),
        ("leadership", "survey-list", "?by=quarter"),
        ("viewer_a", "dashboard", ""),
    ],
)
def test_survey_pages_use_a_fixed_number_of_queries(
    world, client, django_assert_max_num_queries, user_attr, url_name, query
):
    user = getattr(world, user_attr)
    client.force_login(user)
    url = reverse(url_name) + query
    _add_answers(world, 1)
    few = _queries(lambda: client.get(url))
    _add_answers(world, 30)
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("user_attr", "url_name"),
    [
        ("viewer_a", "api:survey-list"),
        ("leadership", "api:survey-list"),
        ("viewer_a", "api:survey-response-list"),
        ("leadership", "api:survey-response-list"),
    ],
)
def test_survey_endpoints_use_a_fixed_number_of_queries(world, django_assert_max_num_queries, user_attr, url_name):
    api = api_as(getattr(world, user_attr))
    _add_answers(world, 1)
    few = _queries(lambda: api.get(reverse(url_name)))
    _add_answers(world, 30)
    with django_assert_max_num_queries(few):
        response = api.get(reverse(url_name))
    assert response.status_code == 200
    assert response.json()["count"] >= 31


def test_invitation_status_counts_in_response_rate_only_when_answered(world):
    make_response(world.project_a, world.viewer_a, nps=9, overall=5)
    expired = make_invitation(world.project_a, world.approver_a)
    SurveyInvitation.objects.filter(pk=expired.pk).update(status=InvitationStatus.EXPIRED)
    (row,) = survey_selectors.satisfaction_report(user=world.leadership, by="project", quarter=THIS_QUARTER)
    assert (row.invited, row.answered, row.response_rate) == (2, 1, Decimal("50.0"))
