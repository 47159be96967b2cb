"""Survey rounds and invitations, reminders, expiry, signed links, answering once, the follow-up issue."""

import datetime as dt
import re

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from metrics.locks import SURVEY_SCHEDULE_LOCK
from metrics.surveys import services as survey_services
from metrics.surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse, SurveyRound, SurveyTrigger
from metrics.tasks import run_survey_schedule
from projects.models import Issue, Notification, ProjectStatus
from tests.clients.factories import ClientUserFactory
from tests.conftest import api_as
from tests.metrics.factories import make_invitation
from tests.projects.factories import MilestoneFactory, ProjectFactory

NOW = dt.datetime(2026, 11, 24, 10, 5, tzinfo=dt.UTC)
TODAY = NOW.date()
GOOD = {
    "csat_communication": 5,
    "csat_responsiveness": 4,
    "csat_quality": 5,
    "csat_schedule": 4,
    "csat_overall": 5,
    "nps": 9,
}


@pytest.fixture
def recent_projects(world):
    """The world's projects started a month ago: not yet due a quarterly survey."""
    from projects.models import Project

    Project.objects.filter(pk__in=[world.project_a.pk, world.project_b.pk]).update(
        start_date=TODAY - dt.timedelta(days=30)
    )
    return world


def complete(milestone, day):
    milestone.actual_date = day
    milestone.percent_complete = 100
    milestone.save()
    return milestone


# --- Rounds and invitations (hourly) ---------------------------------------------------------------


def test_a_completed_client_facing_milestone_invites_every_active_client_user_once(world, recent_projects):
    inactive = ClientUserFactory(client=world.client_a, is_active=False)
    complete(world.milestone_a, TODAY - dt.timedelta(days=1))
    complete(world.internal_milestone_a, TODAY - dt.timedelta(days=1))  # internal: no survey of its own

    result = survey_services.surveys_run_schedule(now=NOW)

    survey_round = SurveyRound.objects.get(project=world.project_a)
    assert (survey_round.trigger, survey_round.milestone) == (SurveyTrigger.MILESTONE, world.milestone_a)
    invited = set(SurveyInvitation.objects.filter(round=survey_round).values_list("recipient__username", flat=True))
    assert invited == {world.viewer_a.username, world.approver_a.username}
    assert inactive.username not in invited
    assert result == {"expired": 0, "rounds": 1, "invitations": 2, "reminded": 0}
    invitation = SurveyInvitation.objects.get(recipient=world.viewer_a)
    assert invitation.expires_at == NOW + dt.timedelta(days=30)
    note = Notification.objects.get(recipient=world.viewer_a, kind="survey_invitation")
    token = note.url.removeprefix("/surveys/answer/").rstrip("/")  # signed with a timestamp: compare what it names
    assert survey_services.invitation_id_from_token(token) == (invitation.pk, world.viewer_a.pk)
    assert world.project_a.code in note.text
    assert not SurveyRound.objects.filter(project=world.project_b).exists()  # nothing completed there

    # The next hour: nothing new (the milestone has its round; the project is in its cool-down).
    complete(MilestoneFactory(project=world.project_a, sequence=9), TODAY)
    assert survey_services.surveys_run_schedule(now=NOW + dt.timedelta(hours=1))["rounds"] == 0
    assert SurveyInvitation.objects.count() == 2


def test_old_completions_and_inactive_projects_are_not_surveyed(world, recent_projects):
    complete(world.milestone_a, TODAY - dt.timedelta(days=60))
    world.project_b.status = ProjectStatus.CANCELLED
    world.project_b.save()
    complete(world.milestone_b, TODAY)
    assert survey_services.surveys_run_schedule(now=NOW)["rounds"] == 0


def test_long_projects_are_surveyed_quarterly(world, recent_projects):
    long_running = ProjectFactory(
        client=world.client_a, start_date=TODAY - dt.timedelta(days=200), target_date=TODAY + dt.timedelta(days=200)
    )
    ProjectFactory(  # planned for 60 days: short
        client=world.client_a, start_date=TODAY - dt.timedelta(days=100), target_date=TODAY - dt.timedelta(days=40)
    )
    ProjectFactory(
        client=world.client_a, start_date=TODAY - dt.timedelta(days=30), target_date=TODAY + dt.timedelta(days=300)
    )  # too new
    survey_services.surveys_run_schedule(now=NOW)
    rounds = SurveyRound.objects.filter(trigger=SurveyTrigger.QUARTERLY)
    assert list(rounds.values_list("project_id", flat=True)) == [long_running.pk]
    assert rounds.get().quarter == dt.date(2026, 10, 1)
    # A month later: still within the quarter's 90 days, no second round.
    survey_services.surveys_run_schedule(now=NOW + dt.timedelta(days=30))
    assert rounds.count() == 1
    survey_services.surveys_run_schedule(now=NOW + dt.timedelta(days=91))
    assert rounds.filter(project=long_running).count() == 2


def test_reminder_after_seven_days_once_and_expiry_after_thirty(world, recent_projects):
    invitation = make_invitation(world.project_a, world.viewer_a, sent_at=NOW - dt.timedelta(days=8))
    fresh = make_invitation(world.project_a, world.approver_a, sent_at=NOW - dt.timedelta(days=2))

    assert survey_services.surveys_run_schedule(now=NOW)["reminded"] == 1
    assert survey_services.surveys_run_schedule(now=NOW + dt.timedelta(hours=1))["reminded"] == 0
    reminders = Notification.objects.filter(kind="survey_reminder")
    assert list(reminders.values_list("recipient_id", flat=True)) == [world.viewer_a.pk]
    assert "closes on" in reminders.get().text

    later = NOW + dt.timedelta(days=23)  # invitation: 31 days old
    assert survey_services.surveys_run_schedule(now=later)["expired"] == 1
    invitation.refresh_from_db()
    fresh.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED
    assert fresh.status == InvitationStatus.OPEN


def test_a_second_scheduled_run_skips_while_the_first_holds_the_lock(world, recent_projects, lock_held_elsewhere):
    complete(world.milestone_a, TODAY)
    with lock_held_elsewhere(SURVEY_SCHEDULE_LOCK):
        assert survey_services.surveys_run_schedule(now=NOW) is None
        assert not SurveyRound.objects.exists()
    assert survey_services.surveys_run_schedule(now=NOW)["rounds"] == 1


def test_a_second_dispatch_in_the_same_hour_invites_nobody_and_the_next_hour_catches_up(world, recent_projects):
    complete(world.milestone_a, TODAY)
    assert survey_services.surveys_run_schedule(now=NOW)["rounds"] == 1
    complete(world.milestone_b, TODAY)  # completed between the two dispatches
    notes = Notification.objects.filter(kind="survey_invitation").count()

    assert survey_services.surveys_run_schedule(now=NOW + dt.timedelta(seconds=3)) is None
    assert Notification.objects.filter(kind="survey_invitation").count() == notes
    assert not SurveyRound.objects.filter(project=world.project_b).exists()

    assert survey_services.surveys_run_schedule(now=NOW + dt.timedelta(hours=1))["rounds"] == 1
    assert SurveyRound.objects.filter(project=world.project_b).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_hourly_task_run_by_a_real_worker_invites(celery_worker):
    project = ProjectFactory()
    viewer = ClientUserFactory(client=project.client)
    complete(MilestoneFactory(project=project, sequence=1), TODAY)
    result = run_survey_schedule.delay(NOW.isoformat()).get(timeout=90)
    assert result == {"expired": 0, "rounds": 1, "invitations": 1, "reminded": 0}
    assert SurveyInvitation.objects.get().recipient == viewer


# --- Answering ------------------------------------------------------------------------------------------


def answer_url(invitation):
    return reverse("survey-answer", kwargs={"token": survey_services.invitation_token(invitation)})


def form(answers=GOOD, comment=""):
    return {**{k: str(v) for k, v in answers.items()}, "comment": comment}


def test_the_invited_user_answers_once_from_the_signed_link(world, client):
    invitation = make_invitation(world.project_a, world.viewer_a)
    url = answer_url(invitation)
    client.force_login(world.viewer_a)

    page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('type="radio"') == 5 * 5 + 11

    response = client.post(url, form(comment="Great team"))
    assert response.status_code == 302
    assert response["Location"] == reverse("survey-list")
    stored = SurveyResponse.objects.get()
    assert (stored.respondent, stored.project, stored.nps, stored.csat_overall) == (
        world.viewer_a,
        world.project_a,
        9,
        5,
    )
    assert stored.comment == "Great team"
    assert stored.issue is None  # a promoter: nothing to follow up
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED

    again = client.post(url, form(answers=GOOD | {"nps": 0}))
    assert again.status_code == 409
    assert "You already answered this survey" in again.content.decode()
    assert SurveyResponse.objects.count() == 1
    assert SurveyResponse.objects.get().nps == 9
    assert client.get(url).status_code == 409  # the link itself says so too


def test_an_expired_invitation_is_refused_and_nothing_is_written(world, client):
    invitation = make_invitation(world.project_a, world.viewer_a, sent_at=timezone.now() - dt.timedelta(days=31))
    client.force_login(world.viewer_a)
    response = client.post(answer_url(invitation), form())
    assert response.status_code == 410
    assert "This survey closed on" in response.content.decode()
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN  # the hourly job marks it expired; the refusal writes nothing


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature changed
        lambda token: "x" + token,
        lambda token: signing.dumps({"i": 1, "u": 1}, salt="another-salt"),
        lambda token: "not-a-token",
    ],
)
def test_a_forged_link_is_refused_with_a_clear_message(world, client, tamper):
    invitation = make_invitation(world.project_a, world.viewer_a)
    client.force_login(world.viewer_a)
    url = reverse("survey-answer", kwargs={"token": tamper(survey_services.invitation_token(invitation))})
    for response in (client.get(url), client.post(url, form())):
        assert response.status_code == 400
        assert "This survey link is not valid" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_link_signed_for_another_invitation_id_is_not_accepted(world, client):
    invitation = make_invitation(world.project_a, world.viewer_a)
    other = make_invitation(world.project_a, world.approver_a)
    forged = signing.dumps({"i": other.pk, "u": world.viewer_a.pk}, salt="metrics.surveys.invitation-wrong")
    client.force_login(world.viewer_a)
    assert client.post(reverse("survey-answer", kwargs={"token": forged}), form()).status_code == 400
    assert client.post(answer_url(other), form()).status_code == 404  # a colleague's invitation
    assert not SurveyResponse.objects.exists()
    assert invitation.status == InvitationStatus.OPEN


def test_a_client_user_cannot_answer_another_clients_invitation(world, client):
    invitation_b = make_invitation(world.project_b, world.viewer_b)
    client.force_login(world.approver_a)
    assert client.get(answer_url(invitation_b)).status_code == 404
    assert client.post(answer_url(invitation_b), form()).status_code == 404
    api = api_as(world.approver_a)
    assert (
        api.post(reverse("api:survey-answer", kwargs={"pk": invitation_b.pk}), GOOD, format="json").status_code == 404
    )
    with pytest.raises(PermissionDenied):
        survey_services.survey_answer(actor=world.approver_a, invitation=invitation_b, answers=GOOD)
    assert not SurveyResponse.objects.exists()


def test_staff_cannot_answer_for_the_client(world, client):
    invitation = make_invitation(world.project_a, world.viewer_a)
    client.force_login(world.pm)
    assert client.post(answer_url(invitation), form()).status_code == 404
    response = api_as(world.pm).post(reverse("api:survey-answer", kwargs={"pk": invitation.pk}), GOOD, format="json")
    assert response.status_code == 403
    assert not SurveyResponse.objects.exists()


def test_missing_answers_are_asked_for_and_nothing_is_written(world, client):
    invitation = make_invitation(world.project_a, world.viewer_a)
    client.force_login(world.viewer_a)
    partial = form()
    del partial["nps"]
    response = client.post(answer_url(invitation), partial)
    assert response.status_code == 200
    assert "Please answer every question" in response.content.decode()
    with pytest.raises(ValidationError):
        survey_services.survey_answer(actor=world.viewer_a, invitation=invitation, answers=GOOD | {"csat_quality": 7})
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    "answers",
    [
        GOOD | {"nps": 4},  # detractor
        GOOD | {"csat_schedule": 2},  # promoter, but a CSAT of 2
        GOOD | {"nps": 0, "csat_overall": 1, "csat_quality": 1},  # both: still one issue
    ],
)
def test_a_low_score_opens_exactly_one_shared_issue_for_the_pm(world, client, answers):
    invitation = make_invitation(world.project_a, world.viewer_a)
    client.force_login(world.viewer_a)
    response = client.post(answer_url(invitation), form(answers, comment="Reports were late"))
    assert response.status_code == 302
    (issue,) = Issue.objects.filter(project=world.project_a)
    assert issue.visibility == "shared"
    assert issue.assigned_to == world.pm
    assert issue.raised_by == world.viewer_a
    assert "Survey follow-up" in issue.title
    assert "Reports were late" in issue.description
    assert SurveyResponse.objects.get().issue == issue
    assert Notification.objects.filter(recipient=world.pm, kind="issue_raised").count() == 1
    # The client sees the issue (shared) on their project.
    assert Issue.objects.for_user(world.approver_a).filter(pk=issue.pk).exists()


def test_a_passive_answer_opens_no_issue(world):
    invitation = make_invitation(world.project_a, world.viewer_a)
    survey_services.survey_answer(
        actor=world.viewer_a, invitation=invitation, answers=GOOD | {"nps": 7, "csat_overall": 3}
    )
    assert not Issue.objects.exists()


def test_api_answer_once(world):
    invitation = make_invitation(world.project_a, world.viewer_a)
    api = api_as(world.viewer_a)
    url = reverse("api:survey-answer", kwargs={"pk": invitation.pk})
    first = api.post(url, GOOD | {"comment": "Fine"}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["nps"] == 9
    second = api.post(url, GOOD, format="json")
    assert second.status_code == 400
    assert "already answered" in second.json()["non_field_errors"][0]
    bad = make_invitation(world.project_a, world.viewer_a)
    invalid = api.post(reverse("api:survey-answer", kwargs={"pk": bad.pk}), GOOD | {"nps": 11}, format="json")
    assert invalid.status_code == 400
    assert "nps" in invalid.json()
    assert SurveyResponse.objects.count() == 1


def test_the_dashboard_lists_surveys_to_answer(world, client):
    invitation = make_invitation(world.project_a, world.viewer_a)
    make_invitation(world.project_a, world.approver_a)
    client.force_login(world.viewer_a)
    body = client.get(reverse("dashboard")).content.decode()
    assert "1 survey to answer" in body
    # The token is signed with a timestamp: compare what it names, not its bytes (a second may pass).
    linked = {survey_services.invitation_id_from_token(t)[0] for t in re.findall(r"/surveys/answer/([^/\"]+)/", body)}
    assert linked == {invitation.pk}
    assert world.project_a.code in body  # the project table is still there
    survey_services.survey_answer(actor=world.viewer_a, invitation=invitation, answers=GOOD)
    assert "survey to answer" not in client.get(reverse("dashboard")).content.decode()


def test_staff_see_response_rates_and_comments(world, client):
    invitation = make_invitation(world.project_a, world.viewer_a)
    make_invitation(world.project_a, world.approver_a)
    survey_services.survey_answer(actor=world.viewer_a, invitation=invitation, answers=GOOD, comment="Keep it up")
    client.force_login(world.leadership)
    body = client.get(reverse("survey-list") + "?by=project").content.decode()
    assert "50.0 %" in body  # 1 of 2 invited answered
    assert "Keep it up" in body
    assert world.viewer_a.display_name in body
