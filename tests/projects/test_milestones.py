import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects.milestones import services as milestone_services
from projects.models import ChecklistItem, Milestone, MilestoneDependency
from tests.conftest import api_as
from tests.projects.factories import ChecklistItemFactory, MilestoneFactory

TODAY = dt.date(2026, 11, 24)


def test_forecast_change_without_reason_is_refused_and_changes_nothing(world):
    with pytest.raises(ValidationError) as error:
        milestone_services.milestone_update(
            actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 7, 1)
        )
    assert "reason" in error.value.message_dict
    world.milestone_a.refresh_from_db()
    assert world.milestone_a.forecast_date == dt.date(2026, 6, 1)
    assert world.milestone_a.version == 1


def test_percent_change_needs_no_reason_and_bumps_version(world):
    updated = milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, percent_complete=Decimal(40)
    )
    assert updated.percent_complete == 40
    assert updated.version == 2


def test_actual_date_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as error:
        milestone_services.milestone_update(
            actor=world.pm, milestone=world.milestone_a, actual_date=TODAY + dt.timedelta(days=1), today=TODAY
        )
    assert "actual_date" in error.value.message_dict


def test_completion_needs_required_checklist_items_done(world):
    item = ChecklistItemFactory(milestone=world.milestone_a, text="QA review", required=True)
    ChecklistItemFactory(milestone=world.milestone_a, text="Nice to have", required=False)
    with pytest.raises(ValidationError) as error:
        milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_a, actual_date=TODAY, today=TODAY)
    assert "QA review" in error.value.message_dict["checklist"][0]
    assert "Nice to have" not in error.value.message_dict["checklist"][0]
    world.milestone_a.refresh_from_db()
    assert world.milestone_a.actual_date is None

    milestone_services.checklist_item_set_done(actor=world.pm, item=item, done=True)
    done = milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, actual_date=TODAY, today=TODAY
    )
    assert done.actual_date == TODAY
    assert done.percent_complete == 100


def test_completion_with_override_reason_records_it(world):
    ChecklistItemFactory(milestone=world.milestone_a, text="QA review", required=True)
    done = milestone_services.milestone_update(
        actor=world.pm,
        milestone=world.milestone_a,
        actual_date=TODAY,
        today=TODAY,
        override_reason="QA signed on paper",
    )
    assert done.completion_override_reason == "QA signed on paper"


def test_predecessor_cycle_is_refused_with_the_path(world):
    a, b = world.milestone_a, world.internal_milestone_a
    c = MilestoneFactory(project=world.project_a, name="Third", sequence=3)
    milestone_services.milestone_set_predecessors(actor=world.pm, milestone=b, predecessors=[a])
    milestone_services.milestone_set_predecessors(actor=world.pm, milestone=c, predecessors=[b])
    with pytest.raises(ValidationError) as error:
        milestone_services.milestone_set_predecessors(actor=world.pm, milestone=a, predecessors=[c])
    message = error.value.message_dict["predecessors"][0]
    assert "cycle" in message
    assert "Third" in message
    assert not MilestoneDependency.objects.filter(successor=a).exists()


def test_own_predecessor_and_other_project_are_refused(world):
    with pytest.raises(ValidationError):
        milestone_services.milestone_set_predecessors(
            actor=world.pm, milestone=world.milestone_a, predecessors=[world.milestone_a]
        )
    with pytest.raises(ValidationError):
        milestone_services.milestone_set_predecessors(
            actor=world.pm, milestone=world.milestone_a, predecessors=[world.milestone_b]
        )


def test_successors_of_a_slipping_milestone_are_at_risk(world):
    from projects.selectors import project_page

    c = MilestoneFactory(project=world.project_a, name="Third", sequence=3)
    milestone_services.milestone_set_predecessors(
        actor=world.pm, milestone=world.internal_milestone_a, predecessors=[world.milestone_a]
    )
    milestone_services.milestone_set_predecessors(
        actor=world.pm, milestone=c, predecessors=[world.internal_milestone_a]
    )
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 6, 11), reason="Late delivery"
    )
    rows = {row.milestone.name: row for row in project_page(user=world.pm, pk=world.project_a.pk).rows}
    assert rows["Aurora shared milestone"].late
    assert rows["Aurora internal costing review"].at_risk_because == "Aurora shared milestone is 10 days late"
    assert rows["Third"].at_risk_because == "Aurora internal costing review is at risk"


def test_template_creates_milestones_checklists_and_chain(world):
    from tests.projects.factories import MilestoneTemplateFactory

    first = MilestoneTemplateFactory(template=world.template, name="Package received", offset_days=0, duration_days=14)
    MilestoneTemplateFactory(template=world.template, name="Gap assessment", offset_days=14, duration_days=21)
    first.checklist.create(text="Process description received", required=True)
    response = api_as(world.pm).post(
        reverse("api:project-list"),
        {
            "client": world.client_a.pk,
            "code": "AAA-TT-09",
            "name": "From template",
            "service_type": "tech_transfer",
            "start_date": "2026-03-01",
            "target_date": "2026-12-01",
            "budget": "500000.00",
            "template": world.template.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    milestones = list(Milestone.objects.filter(project_id=response.json()["id"]).order_by("sequence"))
    assert [(m.name, m.baseline_date, m.forecast_date) for m in milestones] == [
        ("Package received", dt.date(2026, 3, 15), dt.date(2026, 3, 15)),
        ("Gap assessment", dt.date(2026, 4, 5), dt.date(2026, 4, 5)),
    ]
    assert sum(m.weight for m in milestones) == Decimal(1)
    assert ChecklistItem.objects.get(milestone=milestones[0]).text == "Process description received"
    assert MilestoneDependency.objects.filter(predecessor=milestones[0], successor=milestones[1]).exists()


def test_api_date_change_without_reason_is_400_and_writes_nothing(world):
    url = reverse("api:milestone-detail", kwargs={"pk": world.milestone_a.pk})
    api = api_as(world.pm)
    etag = api.get(url)["ETag"]
    response = api.patch(url, {"forecast_date": "2026-07-01"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    assert "reason" in response.json()
    world.milestone_a.refresh_from_db()
    assert world.milestone_a.forecast_date == dt.date(2026, 6, 1)


def test_etag_round_trip_stale_and_missing(world):
    url = reverse("api:milestone-detail", kwargs={"pk": world.milestone_a.pk})
    api = api_as(world.pm)
    etag = api.get(url)["ETag"]
    ok = api.patch(url, {"forecast_date": "2026-07-01", "reason": "Slot moved"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200, ok.content
    assert ok["ETag"] != etag
    stale = api.patch(url, {"percent_complete": "50"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    missing = api.patch(url, {"percent_complete": "50"}, format="json")
    assert missing.status_code == 428
    world.milestone_a.refresh_from_db()
    assert world.milestone_a.percent_complete == 0


def test_project_etag(world):
    url = reverse("api:project-detail", kwargs={"pk": world.project_a.pk})
    api = api_as(world.pm)
    etag = api.get(url)["ETag"]
    assert api.patch(url, {"name": "Renamed"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert api.patch(url, {"name": "Again"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert api.patch(url, {"name": "Again"}, format="json").status_code == 428


def test_clients_see_only_client_visible_milestones(world):
    names = [m["name"] for m in api_as(world.viewer_a).get(reverse("api:milestone-list")).json()["results"]]
    assert names == ["Aurora shared milestone"]
    hidden = reverse("api:milestone-detail", kwargs={"pk": world.internal_milestone_a.pk})
    assert api_as(world.viewer_a).get(hidden).status_code == 404


def test_page_form_shows_a_concurrent_edit_instead_of_overwriting(world, client):
    client.force_login(world.pm)
    prefix = f"m{world.milestone_a.pk}"
    milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_a, percent_complete=Decimal(70))
    response = client.post(
        reverse("milestone-edit", kwargs={"pk": world.milestone_a.pk}),
        {
            f"{prefix}-version": 1,
            f"{prefix}-forecast_date": "2026-06-01",
            f"{prefix}-percent_complete": "10",
            f"{prefix}-actual_date": "",
            f"{prefix}-reason": "",
            f"{prefix}-override_reason": "",
        },
    )
    assert response.status_code == 409
    assert "Someone else changed this milestone" in response.content.decode()
    assert "70% complete" in response.content.decode()
    world.milestone_a.refresh_from_db()
    assert world.milestone_a.percent_complete == 70


def test_page_form_reason_error_is_shown(world, client):
    client.force_login(world.pm)
    prefix = f"m{world.milestone_a.pk}"
    response = client.post(
        reverse("milestone-edit", kwargs={"pk": world.milestone_a.pk}),
        {f"{prefix}-version": 1, f"{prefix}-forecast_date": "2026-06-20", f"{prefix}-percent_complete": "0"},
    )
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()


@pytest.mark.parametrize("url_name", ["project-detail", "api:milestone-list"])
def test_milestone_views_use_a_fixed_number_of_queries(world, client, url_name, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def measure() -> int:
        with CaptureQueriesContext(connection) as ctx:
            if url_name.startswith("api:"):
                assert api_as(world.pm).get(reverse(url_name)).status_code == 200
            else:
                client.force_login(world.pm)
                assert client.get(reverse(url_name, kwargs={"pk": world.project_a.pk})).status_code == 200
        return len(ctx.captured_queries)

    few = measure()
    for i in range(48):
        m = MilestoneFactory(project=world.project_a, sequence=100 + i)
        ChecklistItemFactory(milestone=m)
    with django_assert_max_num_queries(few):
        measure()


def test_calendar_feed_has_the_visible_milestones_only(world, client):
    from icalendar import Calendar

    client.force_login(world.viewer_a)
    response = client.get(reverse("project-calendar", kwargs={"pk": world.project_a.pk}))
    assert response["Content-Type"] == "text/calendar"
    events = [e for e in Calendar.from_ical(response.content).walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["AAA-OPEN-01: Aurora shared milestone"]
    assert events[0].decoded("dtstart") == dt.date(2026, 6, 1)
    client.force_login(world.pm)
    staff = Calendar.from_ical(client.get(reverse("project-calendar", kwargs={"pk": world.project_a.pk})).content)
    assert len(list(staff.walk("VEVENT"))) == 2
