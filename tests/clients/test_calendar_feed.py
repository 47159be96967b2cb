"""Subscribing to the milestone calendar with a secret, revocable link (no session)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from clients.models import CalendarFeedToken
from clients.services import calendar_feed_token_issue, calendar_feed_token_revoke
from tests.projects.factories import MilestoneFactory, ProjectFactory


def feed_url(user, project=None) -> str:
    secret = calendar_feed_token_issue(actor=user, user=user)[1]
    if project is None:
        return reverse("calendar-feed", kwargs={"token": secret})
    return reverse("calendar-feed-project", kwargs={"token": secret, "pk": project.pk})


def summaries(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/calendar"
    return sorted(str(e["summary"]) for e in Calendar.from_ical(response.content).walk("VEVENT"))


def assert_not_found(response) -> None:
    assert response.status_code == 404
    assert "Location" not in response  # never a redirect to the login page


def test_a_calendar_app_subscribes_without_a_session_and_gets_the_visible_milestones(world, client):
    url = feed_url(world.viewer_a)
    response = client.get(url)  # the test client has no session: like a calendar app
    assert summaries(response) == ["AAA-OPEN-01: Aurora shared milestone"]
    assert response["Cache-Control"] == "private, no-store"

    assert summaries(client.get(feed_url(world.pm))) == [
        "AAA-OPEN-01: Aurora internal costing review",
        "AAA-OPEN-01: Aurora shared milestone",
        "BBB-SECRET-01: Borealis secret milestone",
    ]


def test_the_one_project_feed_goes_through_the_same_scoping(world, client):
    assert summaries(client.get(feed_url(world.viewer_a, world.project_a))) == ["AAA-OPEN-01: Aurora shared milestone"]
    assert_not_found(client.get(feed_url(world.viewer_a, world.project_b)))
    assert summaries(client.get(feed_url(world.leadership, world.project_b))) == [
        "BBB-SECRET-01: Borealis secret milestone"
    ]


def test_an_internal_milestone_never_appears_for_a_client(world, client):
    url = feed_url(world.approver_a)
    secret = url.split("/")[2]
    project_url = reverse("calendar-feed-project", kwargs={"token": secret, "pk": world.project_a.pk})
    world.milestone_a.client_visible = False
    world.milestone_a.save()
    for response in (client.get(url), client.get(project_url)):
        assert summaries(response) == []
        assert b"Aurora" not in response.content


def test_another_clients_project_never_appears(world, client):
    for user in (world.viewer_a, world.approver_a):
        body = client.get(feed_url(user)).content.decode()
        assert "BBB-SECRET-01" not in body
        assert "Borealis" not in body


def test_resetting_the_link_on_the_page_kills_the_old_url(world, client):
    client.force_login(world.viewer_a)
    page = client.get(reverse("calendar-subscription")).content.decode()
    assert "No calendar link yet" in page
    first = client.post(reverse("calendar-subscription"), {"action": "reset"})
    assert first["Cache-Control"].startswith("max-age=0")  # a page with a secret is never cached
    first_url = _shown_link(first.content.decode())
    assert "BBB-SECRET-01" not in first.content.decode()  # the per-project links are the user's projects only
    second_url = _shown_link(client.post(reverse("calendar-subscription"), {"action": "reset"}).content.decode())
    assert first_url != second_url
    page = client.get(reverse("calendar-subscription")).content.decode()
    assert "Your calendar link is on" in page
    assert second_url not in page  # shown once, never again

    client.logout()
    assert_not_found(client.get(first_url))
    assert summaries(client.get(second_url)) == ["AAA-OPEN-01: Aurora shared milestone"]


def test_turning_the_link_off(world, client):
    url = feed_url(world.viewer_a)
    client.force_login(world.viewer_a)
    response = client.post(reverse("calendar-subscription"), {"action": "revoke"}, follow=True)
    assert "turned off" in response.content.decode()
    assert "No calendar link yet" in response.content.decode()
    assert_not_found(client.get(url))


def test_an_unknown_action_changes_nothing(world, client):
    url = feed_url(world.viewer_a)
    client.force_login(world.viewer_a)
    response = client.post(reverse("calendar-subscription"), {"action": "explode"}, follow=True)
    assert response.status_code == 200
    assert "Reset link" in response.content.decode()
    assert summaries(client.get(url)) == ["AAA-OPEN-01: Aurora shared milestone"]


def test_a_deactivated_users_feed_is_not_found(world, client):
    url = feed_url(world.approver_a)
    world.approver_a.is_active = False
    world.approver_a.save()
    assert_not_found(client.get(url))


def test_an_inactive_clients_feed_is_empty(world, client):
    url = feed_url(world.viewer_a)
    world.client_a.active = False
    world.client_a.save()
    assert summaries(client.get(url)) == []


@pytest.mark.parametrize("token", ["x", "not-a-real-calendar-link", "a" * 500])
def test_unknown_links_are_not_found(world, client, token):
    assert_not_found(client.get(reverse("calendar-feed", kwargs={"token": token})))
    assert_not_found(client.get(reverse("calendar-feed-project", kwargs={"token": token, "pk": world.project_a.pk})))


def test_only_a_fingerprint_of_the_secret_is_stored(world):
    token, secret = calendar_feed_token_issue(actor=world.viewer_a, user=world.viewer_a)
    stored = CalendarFeedToken.objects.filter(pk=token.pk).values_list(
        "token_hash", "user_id", "created_at", "revoked_at"
    )
    assert secret not in str(list(stored))
    assert len(token.token_hash) == 64


def test_only_the_user_or_an_admin_manages_a_link(world, client):
    url = feed_url(world.viewer_a)
    with pytest.raises(PermissionDenied):
        calendar_feed_token_issue(actor=world.viewer_b, user=world.viewer_a)
    with pytest.raises(PermissionDenied):
        calendar_feed_token_revoke(actor=world.pm, user=world.viewer_a)
    assert summaries(client.get(url)) == ["AAA-OPEN-01: Aurora shared milestone"]
    assert calendar_feed_token_revoke(actor=world.admin, user=world.viewer_a) == 1
    assert_not_found(client.get(url))


def test_the_last_use_is_shown_on_the_page(world, client):
    url = feed_url(world.viewer_a)
    assert CalendarFeedToken.objects.get().last_used_at is None
    client.get(url)
    assert CalendarFeedToken.objects.get().last_used_at is not None
    client.force_login(world.viewer_a)
    assert "last fetched by a calendar app" in client.get(reverse("calendar-subscription")).content.decode()


def test_the_session_feed_still_works(world, client):
    client.force_login(world.viewer_a)
    response = client.get(reverse("project-calendar", kwargs={"pk": world.project_a.pk}))
    assert summaries(response) == ["AAA-OPEN-01: Aurora shared milestone"]


def test_a_milestone_without_a_baseline_date_does_not_break_the_feed(world, client):
    MilestoneFactory(project=world.project_a, name="Not yet baselined", baseline_date=None, sequence=9)
    assert "AAA-OPEN-01: Not yet baselined" in summaries(client.get(feed_url(world.pm)))


@pytest.mark.parametrize("user_attr", ["viewer_a", "leadership"])
def test_the_feed_query_count_does_not_grow_with_projects(world, client, django_assert_max_num_queries, user_attr):
    url = feed_url(getattr(world, user_attr))
    client.get(url)  # records the first use (one write per hour at most)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(20):
        project = ProjectFactory(client=world.client_a, manager=world.pm)
        for sequence in range(3):
            MilestoneFactory(project=project, sequence=sequence, forecast_date=dt.date(2026, 6, 1 + n))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(summaries(response)) >= 61


def _shown_link(page: str) -> str:
    (link,) = re.findall(r'value="http://testserver(/calendar/[^"]+/milestones\.ics)"', page)
    return link
