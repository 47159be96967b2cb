"""Two leaks of internal records to client users, closed.

1. A change request withdrawn while still a draft was never sent to the client: they never see it
   (page, detail, API, what-if, dashboard), though a request withdrawn after submission stays visible.
2. A baseline lists only the client-visible milestones' dates to client users (API, baselines page,
   sign page); CMO staff see every milestone.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from projects import services as project_services
from projects.baselines import services as baseline_services
from projects.change_requests import services as change_request_services
from projects.milestones import services as milestone_services
from projects.models import ChangeRequest
from tests.conftest import api_as

DRAFT_TITLE = "Never-sent relocation to line 7"
SENT_TITLE = "Sent then withdrawn fill volume"


@pytest.fixture
def changes(world):
    """On client A's project: a draft withdrawn before submission, and a request withdrawn after submission."""
    withdrawn_draft = change_request_services.change_request_create(
        actor=world.pm,
        project=world.project_a,
        title=DRAFT_TITLE,
        description="Internal costing: line 7 is cheaper for us",
        cost_impact=Decimal("987654.00"),
        schedule_impact_days=41,
    )
    change_request_services.change_request_withdraw(actor=world.pm, change=withdrawn_draft)
    sent = change_request_services.change_request_create(actor=world.pm, project=world.project_a, title=SENT_TITLE)
    change_request_services.change_request_submit(actor=world.pm, change=sent)
    change_request_services.change_request_withdraw(actor=world.pm, change=sent)
    return {"withdrawn_draft": ChangeRequest.objects.get(pk=withdrawn_draft.pk), "sent": sent}


@pytest.mark.parametrize("role", ["viewer_a", "approver_a"])
def test_a_draft_withdrawn_before_submission_is_invisible_to_the_client(world, changes, client, role):
    user = getattr(world, role)
    draft = changes["withdrawn_draft"]
    assert draft.status == "withdrawn"
    assert draft.submitted_at is None
    client.force_login(user)
    api = api_as(user)

    listing = client.get(reverse("project-change-requests", kwargs={"pk": world.project_a.pk})).content.decode()
    assert DRAFT_TITLE not in listing
    assert "987,654" not in listing
    assert "CR-1" not in listing  # not even its number
    assert SENT_TITLE in listing  # it was sent to the client, so its withdrawal is theirs to see
    assert client.get(reverse("change-request-detail", kwargs={"pk": draft.pk})).status_code == 404
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert DRAFT_TITLE not in dashboard

    api_list = api.get(reverse("api:change-request-list")).json()
    assert [c["title"] for c in api_list["results"]] == [SENT_TITLE]
    assert api_list["count"] == 1
    filtered = api.get(reverse("api:change-request-list"), {"project": world.project_a.pk, "status": "withdrawn"})
    assert filtered.json()["count"] == 1
    assert api.get(reverse("api:change-request-detail", kwargs={"pk": draft.pk})).status_code == 404
    what_if = api.post(
        reverse("api:project-what-if", kwargs={"pk": world.project_a.pk}), {"change_request": draft.pk}, format="json"
    )
    assert what_if.status_code == 404


def test_staff_still_see_the_withdrawn_draft(world, changes, client):
    client.force_login(world.pm)
    listing = client.get(reverse("project-change-requests", kwargs={"pk": world.project_a.pk})).content.decode()
    assert DRAFT_TITLE in listing
    detail = client.get(reverse("change-request-detail", kwargs={"pk": changes["withdrawn_draft"].pk}))
    assert detail.status_code == 200
    assert api_as(world.pm).get(reverse("api:change-request-list")).json()["count"] == 2


INTERNAL_DATE = dt.date(2026, 9, 17)


@pytest.fixture
def proposed(world):
    """Client A's internal milestone planned on a telling date, the project started and a re-baseline proposed."""
    milestone_services.milestone_update(
        actor=world.pm,
        milestone=world.internal_milestone_a,
        baseline_date=INTERNAL_DATE,
        forecast_date=INTERNAL_DATE,
        reason="Internal costing review planned",
    )
    project_services.project_start(actor=world.pm, project=world.project_a)
    return baseline_services.baseline_propose(actor=world.pm, project=world.project_a, reason="Line change agreed")


@pytest.mark.parametrize("role", ["viewer_a", "approver_a"])
def test_baseline_api_lists_only_client_visible_milestones_to_clients(world, proposed, role):
    api = api_as(getattr(world, role))
    detail = api.get(reverse("api:baseline-detail", kwargs={"pk": proposed.pk}))
    assert detail.status_code == 200
    assert detail.json()["items"] == [
        {"milestone": world.milestone_a.pk, "milestone_name": "Aurora shared milestone", "date": "2026-06-01"}
    ]
    listing = api.get(reverse("api:baseline-list"), {"project": world.project_a.pk}).json()
    assert listing["count"] == 2
    for baseline in listing["results"]:
        assert [i["milestone_name"] for i in baseline["items"]] == ["Aurora shared milestone"]
    assert "Aurora internal costing review" not in detail.content.decode() + str(listing)
    assert INTERNAL_DATE.isoformat() not in detail.content.decode()


def test_baseline_api_lists_every_milestone_to_staff(world, proposed):
    items = api_as(world.pm).get(reverse("api:baseline-detail", kwargs={"pk": proposed.pk})).json()["items"]
    assert [(i["milestone_name"], i["date"]) for i in items] == [
        ("Aurora shared milestone", "2026-06-01"),
        ("Aurora internal costing review", INTERNAL_DATE.isoformat()),
    ]


def test_baseline_pages_show_clients_only_client_visible_milestones(world, proposed, client):
    client.force_login(world.approver_a)
    for url in (
        reverse("project-baselines", kwargs={"pk": world.project_a.pk}),
        reverse("baseline-sign", kwargs={"pk": proposed.pk}),
    ):
        page = client.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        assert "Aurora shared milestone" in body
        assert "Aurora internal costing review" not in body, url
        assert "17 Sep 2026" not in body, url
    client.force_login(world.pm)
    staff_page = client.get(reverse("project-baselines", kwargs={"pk": world.project_a.pk})).content.decode()
    assert "Aurora internal costing review" in staff_page
    assert "17 Sep 2026" in staff_page


def test_a_milestone_internal_when_baselined_stays_out_of_that_baseline_for_clients(world, proposed):
    """The baseline keeps what was internal then: making the milestone client-visible later does not reveal
    the internal date it had in the earlier plan."""
    milestone_services.milestone_update(actor=world.pm, milestone=world.internal_milestone_a, client_visible=True)
    items = api_as(world.viewer_a).get(reverse("api:baseline-detail", kwargs={"pk": proposed.pk})).json()["items"]
    assert [i["milestone_name"] for i in items] == ["Aurora shared milestone"]
