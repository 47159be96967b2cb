"""Each Lean metric reproduced on a small hand-built project with known dates (docs/lean.md), the
nightly roll-up (also by a real worker), the portfolio report, client KPI targets and query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.lean import counters, measures
from metrics.lean import selectors as lean_selectors
from metrics.lean import services as lean_services
from metrics.lean.models import ClientKpiTarget, KpiStatus, LeanSnapshot
from metrics.locks import LEAN_ROLLUP_LOCK
from metrics.tasks import roll_up_lean_metrics
from projects.models import Notification
from tests.clients.factories import ClientFactory
from tests.conftest import api_as
from tests.metrics.factories import ClientKpiTargetFactory
from tests.metrics.lean_project import NOW, Q1, Q2, START, D, build_project_in_db, hand_built_data

EXPECTED = {
    Q1: counters.LeanTotals(
        milestones_completed=2,
        milestones_on_time=1,
        phases_completed=2,
        phase_days=74,
        value_adding_days=49,
        planned_phases=2,
        planned_phase_days=70,
        planned_phase_actual_days=74,
        client_wait_days=Decimal("9.50"),
        cmo_wait_days=Decimal("4.00"),
        change_request_client_wait_days=Decimal("7.50"),
        issue_client_wait_days=Decimal("2.00"),
        issues_responded=1,
        issue_response_hours=Decimal("6.00"),
        issues_resolved=1,
        issue_resolution_hours=Decimal("72.00"),
    ),
    Q2: counters.LeanTotals(
        milestones_completed=2,
        milestones_on_time=1,
        batches_completed=4,
        batches_on_time=3,
        batches_right_first_time=2,
        batches_otif=1,
        phases_completed=2,
        phase_days=82,
        value_adding_days=39,
        planned_phases=1,
        planned_phase_days=35,
        planned_phase_actual_days=39,
        projects_finished=1,
        lead_time_days=156,
        client_wait_days=Decimal("60.50"),
        cmo_wait_days=Decimal("31.00"),
        change_request_client_wait_days=Decimal("60.50"),
    ),
}


# --- Pure ---------------------------------------------------------------------------------------------


def test_each_lean_counter_on_the_hand_built_project():
    totals = counters.project_quarter_totals(hand_built_data(), now=NOW)
    assert set(totals) == {Q1, Q2}
    assert totals[Q1] == EXPECTED[Q1]
    assert totals[Q2] == EXPECTED[Q2]


def test_each_lean_figure_on_the_hand_built_project():
    totals = counters.project_quarter_totals(hand_built_data(), now=NOW)
    q1, q2 = measures.lean_figures(totals[Q1]), measures.lean_figures(totals[Q2])
    # On-time milestones: completed on or before baseline ÷ completed.
    assert (q1.on_time_milestone_rate, q2.on_time_milestone_rate) == (Decimal("50.0"), Decimal("50.0"))
    # OTIF and right first time: batches with an outcome (B5 pending is not counted).
    assert q1.otif_rate is None
    assert q2.otif_rate == Decimal("25.0")  # B1 only
    assert q2.right_first_time_rate == Decimal("50.0")  # B1, B2
    # Cycle time per phase, and against the template (phases with a template duration).
    assert (q1.mean_phase_days, q2.mean_phase_days) == (Decimal("37.0"), Decimal("41.0"))
    assert (q1.cycle_time_ratio, q2.cycle_time_ratio) == (Decimal("1.06"), Decimal("1.11"))  # 74/70, 39/35
    # Lead time: project start to the final milestone (10 Jun − 5 Jan).
    assert (q1.mean_lead_time_days, q2.mean_lead_time_days) == (None, Decimal("156.0"))
    # Process cycle efficiency: value-adding phase time ÷ phase time.
    assert (q1.process_cycle_efficiency, q2.process_cycle_efficiency) == (Decimal("66.2"), Decimal("47.6"))
    # Waiting on the client versus on the CMO.
    assert (q1.client_wait_days, q1.cmo_wait_days) == (Decimal("9.50"), Decimal("4.00"))
    assert (q2.client_wait_days, q2.cmo_wait_days) == (Decimal("60.50"), Decimal("31.00"))
    # Issue response and resolution.
    assert (q1.mean_issue_response_hours, q1.mean_issue_resolution_hours) == (Decimal("6.0"), Decimal("72.0"))
    assert (q2.mean_issue_response_hours, q2.mean_issue_resolution_hours) == (None, None)


def test_whole_project_process_cycle_efficiency_equals_value_adding_time_over_lead_time():
    totals = counters.total_of(list(counters.project_quarter_totals(hand_built_data(), now=NOW).values()))
    assert totals.phase_days == totals.lead_time_days == 156  # phases chain from start to the final milestone
    assert measures.lean_figures(totals).process_cycle_efficiency == Decimal("56.4")  # (49 + 39) / 156


def test_phase_cycle_times_against_the_template():
    phases = counters.phase_cycles(hand_built_data())
    assert [(p.sequence, p.started, p.actual_days, p.planned_days, p.variance_days) for p in phases] == [
        (1, D(2026, 1, 5), 25, 30, -5),
        (2, D(2026, 1, 30), 49, 40, 9),
        (3, D(2026, 3, 20), 39, 35, 4),
        (5, D(2026, 4, 28), 43, 0, None),
    ]


def test_trend_against_the_previous_quarter():
    totals = counters.project_quarter_totals(hand_built_data(), now=NOW)
    trends = measures.lean_trends(measures.lean_figures(totals[Q2]), measures.lean_figures(totals[Q1]))
    assert trends["mean_phase_days"].change == Decimal("4.0")
    assert trends["mean_phase_days"].improved is False  # cycle time rose: worse
    assert trends["process_cycle_efficiency"].change == Decimal("-18.6")
    assert trends["process_cycle_efficiency"].improved is False
    assert trends["on_time_milestone_rate"].change == Decimal("0.0")
    assert trends["on_time_milestone_rate"].improved is None
    assert trends["otif_rate"].change is None  # nothing to compare with


def test_a_group_adds_counters_before_dividing():
    one = counters.LeanTotals(batches_completed=1, batches_otif=1)
    nine = counters.LeanTotals(batches_completed=9, batches_otif=0)
    # Averaging the two rates would say 50 %; the portfolio made 1 of 10 batches OTIF.
    assert measures.lean_figures(one + nine).otif_rate == Decimal("10.0")


def test_an_empty_project_has_no_figures():
    assert counters.project_quarter_totals(counters.LeanProjectData(project_id=1, start_date=START), now=NOW) == {}
    figures = measures.lean_figures(counters.LeanTotals())
    assert all(value is None for value in figures.as_dict().values())


# --- Roll-up -------------------------------------------------------------------------------------------


def stored(project, lens="cmo") -> dict:
    return {
        row.quarter: counters.LeanTotals(**{name: getattr(row, name) for name in counters.TOTAL_FIELDS})
        for row in LeanSnapshot.objects.filter(project=project, lens=lens)
    }


@pytest.mark.django_db
def test_the_rollup_stores_the_hand_computed_counters():
    project = build_project_in_db()
    assert lean_services.lean_rollup_refresh(now=NOW) == 4  # two quarters, two lenses
    assert stored(project) == EXPECTED
    # A rerun replaces, never duplicates.
    assert lean_services.lean_rollup_refresh(now=NOW) == 4
    assert LeanSnapshot.objects.count() == 4


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_nightly_rollup_run_by_a_real_worker_writes_the_same_figures(celery_worker):
    project = build_project_in_db()
    assert roll_up_lean_metrics.delay(NOW.isoformat()).get(timeout=90) == 4  # two quarters, two lenses
    assert stored(project) == EXPECTED
    rows = stored(project)
    assert measures.lean_figures(rows[Q2]).otif_rate == Decimal("25.0")
    assert measures.lean_figures(rows[Q2]).mean_lead_time_days == Decimal("156.0")


@pytest.mark.django_db
def test_a_rollup_skips_while_another_holds_the_lock(lock_held_elsewhere):
    build_project_in_db()
    with lock_held_elsewhere(LEAN_ROLLUP_LOCK):
        assert lean_services.lean_rollup_refresh(now=NOW) is None
        assert not LeanSnapshot.objects.exists()


@pytest.mark.django_db
def test_rollup_queries_do_not_grow_with_the_portfolio():
    def queries(n: int) -> int:
        LeanSnapshot.objects.all().delete()
        for i in range(n):
            build_project_in_db(code=f"LEAN-{n}-{i}")
        with CaptureQueriesContext(connection) as ctx:
            lean_services.lean_rollup_refresh(now=NOW)
        return len(ctx.captured_queries)

    assert queries(2) == queries(25)


def test_portfolio_groups_by_client_pm_service_type_project_and_quarter(world):
    build_project_in_db(client=world.client_a, manager=world.pm, code="LEAN-A")
    build_project_in_db(client=world.client_b, manager=world.other_pm, code="LEAN-B", service_type="analytical")
    lean_services.lean_rollup_refresh(now=NOW)

    by_client = {r.label: r for r in lean_selectors.lean_portfolio(user=world.leadership, by="client", quarter=Q2)}
    assert by_client[world.client_a.name].figures.otif_rate == Decimal("25.0")
    assert by_client[world.client_a.name].trends["mean_phase_days"].previous == Decimal("37.0")
    by_pm = {r.key: r for r in lean_selectors.lean_portfolio(user=world.leadership, by="manager", quarter=Q2)}
    assert set(by_pm) == {world.pm.pk, world.other_pm.pk}
    by_service = {r.label for r in lean_selectors.lean_portfolio(user=world.leadership, by="service_type", quarter=Q2)}
    assert by_service == {"Technology transfer", "Analytical services"}
    by_project = lean_selectors.lean_portfolio(user=world.leadership, by="project", quarter=Q2)
    assert [r.label for r in by_project] == ["LEAN-A", "LEAN-B"]
    total = lean_selectors.portfolio_total(by_project)
    assert total.totals.batches_completed == 8
    assert total.figures.otif_rate == Decimal("25.0")
    by_quarter = lean_selectors.lean_portfolio(user=world.leadership, by="quarter", quarter=Q2)
    assert [r.key for r in by_quarter][:2] == [Q2, Q1]
    assert by_quarter[0].totals.projects_finished == 2
    # A PM sees the projects they manage only.
    assert [r.label for r in lean_selectors.lean_portfolio(user=world.other_pm, by="project", quarter=Q2)] == ["LEAN-B"]


def test_lean_page_and_api(world, client):
    project = build_project_in_db(client=world.client_a, manager=world.pm, code="LEAN-A")
    lean_services.lean_rollup_refresh(now=NOW)
    client.force_login(world.leadership)
    page = client.get(reverse("lean-portfolio"), {"by": "project", "quarter": "2026Q2", "project": project.pk})
    assert page.status_code == 200
    body = page.content.decode()
    assert "LEAN-A" in body
    assert "Process familiarisation" in body  # the phase table
    assert "25.0" in body
    response = api_as(world.leadership).get(reverse("api:portfolio-lean"), {"by": "client", "quarter": "2026Q2"})
    assert response.status_code == 200
    data = response.json()
    assert data["quarter"] == "2026Q2"
    (group,) = data["results"]
    assert group["figures"]["otif_rate"] == "25.0"
    assert group["previous"]["mean_phase_days"] == "37.0"
    assert api_as(world.leadership).get(reverse("api:portfolio-lean"), {"by": "planet"}).status_code == 400
    assert api_as(world.leadership).get(reverse("api:portfolio-lean"), {"quarter": "soon"}).status_code == 400


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("lean-portfolio", {"by": "project", "quarter": "2026Q2"}),
        ("lean-portfolio", {"by": "client", "quarter": "2026Q2"}),
        ("lean-portfolio", {"by": "quarter", "quarter": "2026Q2"}),
        ("api:portfolio-lean", {"by": "project", "quarter": "2026Q2"}),
        ("kpi-targets", {}),
    ],
)
def test_lean_pages_use_a_fixed_number_of_queries(world, client, django_assert_max_num_queries, url_name, query):
    def add(n, offset):
        for i in range(n):
            c = ClientFactory()
            build_project_in_db(client=c, manager=world.pm, code=f"LEAN-{offset + i}")
            ClientKpiTargetFactory(client=c, metric="otif", target=95)
        lean_services.lean_rollup_refresh(now=NOW)

    def get():
        if url_name.startswith("api:"):
            return api_as(world.leadership).get(reverse(url_name), query)
        client.force_login(world.leadership)
        return client.get(reverse(url_name), query)

    add(1, 0)
    with CaptureQueriesContext(connection) as ctx:
        assert get().status_code == 200
    add(20, 100)
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        assert get().status_code == 200


# --- Client KPI targets ---------------------------------------------------------------------------------


def test_a_breached_target_notifies_pm_and_leadership_once_and_shows_on_the_clients_dashboard(world, client):
    build_project_in_db(client=world.client_a, manager=world.pm, code="LEAN-A")
    target = lean_services.kpi_target_set(actor=world.leadership, client=world.client_a, metric="otif", target="95")
    met = lean_services.kpi_target_set(
        actor=world.leadership, client=world.client_a, metric="on_time_milestones", target="40"
    )
    assert (target.status, met.status) == (KpiStatus.NO_DATA, KpiStatus.NO_DATA)  # not rolled up yet

    lean_services.lean_rollup_refresh(now=NOW)
    target.refresh_from_db()
    met.refresh_from_db()
    assert (target.status, target.value) == (KpiStatus.BREACHED, Decimal("25.0"))
    assert (met.status, met.value) == (KpiStatus.MET, Decimal("50.0"))
    notified = Notification.objects.filter(kind="kpi_target_breached")
    assert set(notified.values_list("recipient__username", flat=True)) == {world.pm.username, "lead"}
    assert "OTIF" in notified.first().text
    assert "25.0" in notified.first().text

    lean_services.lean_rollup_refresh(now=NOW + dt.timedelta(days=0, hours=20))  # the next night, same quarter
    assert notified.count() == 2  # no repeat

    client.force_login(world.viewer_a)
    body = client.get(reverse("dashboard")).content.decode()
    assert "1 agreed target missed this quarter" in body
    assert "OTIF" in body
    client.force_login(world.viewer_b)
    assert "agreed target" not in client.get(reverse("dashboard")).content.decode()
    assert api_as(world.viewer_b).get(reverse("api:portfolio-lean")).status_code == 403


def test_issue_response_target_is_a_ceiling(world):
    assert lean_selectors.kpi_status("issue_response_hours", Decimal(8), Decimal("6.0")) == KpiStatus.MET
    assert lean_selectors.kpi_status("issue_response_hours", Decimal(4), Decimal("6.0")) == KpiStatus.BREACHED
    assert lean_selectors.kpi_status("otif", Decimal(95), Decimal("95.0")) == KpiStatus.MET
    assert lean_selectors.kpi_status("otif", Decimal(95), None) == KpiStatus.NO_DATA


def test_only_leadership_records_targets_and_values_are_checked(world, client):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        lean_services.kpi_target_set(actor=world.pm, client=world.client_a, metric="otif", target="95")
    with pytest.raises(ValidationError):
        lean_services.kpi_target_set(actor=world.leadership, client=world.client_a, metric="otif", target="120")
    with pytest.raises(ValidationError):
        lean_services.kpi_target_set(actor=world.leadership, client=world.client_a, metric="speed", target="1")
    assert not ClientKpiTarget.objects.exists()
    client.force_login(world.pm)
    assert (
        client.post(reverse("kpi-targets"), {"client": world.client_a.pk, "metric": "otif", "target": "95"}).status_code
        == 404
    )
    client.force_login(world.leadership)
    response = client.post(
        reverse("kpi-targets"),
        {"client": world.client_a.pk, "metric": "right_first_time", "target": "90", "active": "on"},
    )
    assert response.status_code == 302
    assert ClientKpiTarget.objects.get().target == Decimal(90)
