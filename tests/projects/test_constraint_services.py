"""Services of the constraints' records: change-request signatures, CSV import, transitions, notifications."""

import datetime as dt
import logging
from decimal import Decimal
from functools import partial

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from kombu.exceptions import OperationalError
from pghistory.models import Events

from clients.models import Role, SecurityEvent, SecurityEventKind
from projects.change_requests import services as change_request_services
from projects.costs import services as cost_services
from projects.issues import services as issue_services
from projects.models import (
    ChangeRequest,
    ChangeRequestStatus,
    CostEntry,
    IssueComment,
    Milestone,
    Notification,
    Project,
    Signature,
    Visibility,
)
from projects.notifications.services import send_emails
from projects.quality import services as quality_services
from projects.signatures import services as signature_services
from tests.clients.factories import PASSWORD, ClientUserFactory, UserFactory
from tests.projects.factories import ChangeRequestFactory, IssueFactory, MilestoneFactory

BUDGET = Decimal("1000000.00")
FORECAST = dt.date(2026, 6, 1)


@pytest.fixture
def submitted(world) -> ChangeRequest:
    change = change_request_services.change_request_create(
        actor=world.pm,
        project=world.project_a,
        title="Second fill line",
        schedule_impact_days=21,
        cost_impact=Decimal("75000.00"),
        quality_impact="minor",
    )
    return change_request_services.change_request_submit(actor=world.pm, change=change)


@pytest.fixture
def completed_milestone(world) -> Milestone:
    return MilestoneFactory(
        project=world.project_a,
        name="Kick-off",
        sequence=0,
        forecast_date=dt.date(2026, 2, 1),
        actual_date=dt.date(2026, 2, 1),
        percent_complete=Decimal(100),
    )


def state(world) -> tuple:
    """Everything an approval changes, read fresh from the database."""
    forecasts = dict(Milestone.objects.filter(project=world.project_a).values_list("name", "forecast_date"))
    return (
        Project.objects.get(pk=world.project_a.pk).budget,
        forecasts,
        list(ChangeRequest.objects.values_list("status", "decided_by", "version")),
        Signature.objects.count(),
        Events.objects.exclude(pgh_obj_model="clients.SecurityEvent").count(),  # a failed attempt is recorded
    )


def recipients(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def mailed_to() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


# --- Change requests: the e-signature ---------------------------------------------------------------


def test_wrong_password_changes_nothing(world, submitted, completed_milestone):
    before = state(world)
    with pytest.raises(ValidationError) as error:
        change_request_services.change_request_decide(
            actor=world.approver_a, change=submitted, password="guess", approve=True
        )
    assert error.value.message_dict == {"password": ["The password is not correct; nothing was signed."]}
    assert state(world) == before
    assert SecurityEvent.objects.get().kind == SecurityEventKind.SIGNATURE_FAILED  # only the attempt is recorded
    assert ChangeRequest.objects.get().status == ChangeRequestStatus.SUBMITTED
    assert not Notification.objects.filter(kind="change_request_decided").exists()


def test_approval_moves_budget_and_open_forecasts_exactly_once_with_audit_and_signature(
    world, submitted, completed_milestone
):
    events_before = Events.objects.count()
    signature = change_request_services.change_request_decide(
        actor=world.approver_a, change=submitted, password=PASSWORD, approve=True, comment="Agreed on the call"
    )

    assert Project.objects.get(pk=world.project_a.pk).budget == BUDGET + Decimal("75000.00")
    forecasts = dict(Milestone.objects.filter(project=world.project_a).values_list("name", "forecast_date"))
    assert forecasts == {
        "Aurora shared milestone": FORECAST + dt.timedelta(days=21),
        "Aurora internal costing review": FORECAST + dt.timedelta(days=21),
        "Kick-off": dt.date(2026, 2, 1),  # done: its dates are history
    }
    change = ChangeRequest.objects.get()
    assert (change.status, change.decided_by, change.decided_at) == (
        ChangeRequestStatus.APPROVED,
        world.approver_a,
        signature.signed_at,
    )
    assert (signature.meaning, signature.signer, signature.record) == ("approval", world.approver_a, change)
    assert signature.content["title"] == "Second fill line"
    assert signature_services.signature_is_current(signature, change)

    # The audit trail: who, why, old and new, for the request, the budget and each moved forecast.
    (change_event,) = [e for e in Events.objects.tracks(change) if e.pgh_label == "update"][-1:]
    assert change_event.pgh_diff["status"] == ["submitted", "approved"]
    assert change_event.pgh_context["user"] == world.approver_a.pk
    assert change_event.pgh_context["reason"] == "Agreed on the call"
    (budget_event,) = [e for e in Events.objects.tracks(world.project_a) if "budget" in (e.pgh_diff or {})]
    assert [Decimal(str(v)) for v in budget_event.pgh_diff["budget"]] == [BUDGET, BUDGET + Decimal("75000.00")]
    assert budget_event.pgh_context["user"] == world.approver_a.pk
    (forecast_event,) = [e for e in Events.objects.tracks(world.milestone_a) if e.pgh_label == "update"]
    assert forecast_event.pgh_diff["forecast_date"] == ["2026-06-01", "2026-06-22"]
    assert not [e for e in Events.objects.tracks(completed_milestone) if e.pgh_label == "update"]
    assert [e.pgh_label for e in Events.objects.tracks(signature)] == ["insert"]
    assert Events.objects.count() > events_before

    # Approving again (or rejecting afterwards) is refused and moves nothing a second time.
    after = state(world)
    for approve in (True, False):
        with pytest.raises(ValidationError) as error:
            change_request_services.change_request_decide(
                actor=world.approver_a, change=change, password=PASSWORD, approve=approve
            )
        assert "status" in error.value.message_dict
    assert state(world) == after
    assert Signature.objects.count() == 1


def test_rejection_signs_and_changes_no_plan(world, submitted):
    signature = change_request_services.change_request_decide(
        actor=world.approver_a, change=submitted, password=PASSWORD, approve=False, comment="Not this quarter"
    )
    assert signature.meaning == "rejection"
    assert ChangeRequest.objects.get().status == ChangeRequestStatus.REJECTED
    assert Project.objects.get(pk=world.project_a.pk).budget == BUDGET
    assert Milestone.objects.get(pk=world.milestone_a.pk).forecast_date == FORECAST


# --- Illegal transitions ---------------------------------------------------------------------------


def test_approving_a_draft_is_refused_with_a_clear_message_and_writes_nothing(world):
    draft = change_request_services.change_request_create(
        actor=world.pm, project=world.project_a, title="Draft", cost_impact=Decimal(10)
    )
    before = state(world)
    with pytest.raises(ValidationError) as error:
        change_request_services.change_request_decide(
            actor=world.approver_a, change=draft, password=PASSWORD, approve=True
        )
    assert error.value.message_dict == {"status": ["Cannot approve a change request that is draft."]}
    assert state(world) == before


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("submitted", "submit", "Cannot submit a change request that is awaiting client decision."),
        ("approved", "submit", "Cannot submit a change request that is approved."),
        ("approved", "withdraw", "Cannot withdraw a change request that is approved."),
        ("withdrawn", "approve", "Cannot approve a change request that is withdrawn."),
        ("rejected", "reject", "Cannot reject a change request that is rejected."),
    ],
)
def test_illegal_transitions_are_refused_and_write_nothing(world, status, action, message):
    change = ChangeRequestFactory(project=world.project_a, created_by=world.pm, status=status)
    before = state(world)
    attempts = {
        "submit": partial(change_request_services.change_request_submit, actor=world.pm, change=change),
        "withdraw": partial(change_request_services.change_request_withdraw, actor=world.pm, change=change),
        "approve": partial(
            change_request_services.change_request_decide,
            actor=world.approver_a,
            change=change,
            password=PASSWORD,
            approve=True,
        ),
        "reject": partial(
            change_request_services.change_request_decide,
            actor=world.approver_a,
            change=change,
            password=PASSWORD,
            approve=False,
        ),
    }
    with pytest.raises(ValidationError) as error:
        attempts[action]()
    assert error.value.message_dict == {"status": [message]}
    assert state(world) == before
    assert not Notification.objects.exists()


def test_only_an_approver_of_the_projects_client_decides(world, submitted):
    before = state(world)
    for user in (world.viewer_a, world.approver_b, world.pm, world.admin, world.leadership):
        with pytest.raises(PermissionDenied):
            change_request_services.change_request_decide(actor=user, change=submitted, password=PASSWORD, approve=True)
    assert state(world) == before


def test_only_the_projects_pm_or_an_admin_drafts_and_submits(world):
    for user in (world.other_pm, world.leadership, world.approver_a):
        with pytest.raises(PermissionDenied):
            change_request_services.change_request_create(actor=user, project=world.project_a, title="Not mine")
    assert not ChangeRequest.objects.exists()
    change = change_request_services.change_request_create(actor=world.admin, project=world.project_a, title="Admin's")
    with pytest.raises(PermissionDenied):
        change_request_services.change_request_submit(actor=world.other_pm, change=change)
    assert ChangeRequest.objects.get().status == ChangeRequestStatus.DRAFT


def test_clients_comment_only_on_shared_issues_of_their_projects(world, records_b):
    internal = IssueFactory(project=world.project_a, raised_by=world.pm, visibility=Visibility.INTERNAL)
    other = records_b.issue
    comments_before = IssueComment.objects.count()
    for user, issue in ((world.viewer_a, internal), (world.approver_a, other), (world.leadership, internal)):
        with pytest.raises(PermissionDenied):
            issue_services.issue_comment(actor=user, issue=issue, body="Hello")
    assert IssueComment.objects.count() == comments_before
    assert not Notification.objects.filter(kind="issue_comment").exists()


# --- CSV import ------------------------------------------------------------------------------------

HEADER = "date,amount,category,description\n"
GOOD_ROWS = "2026-03-01,1200.50,labour,Operators\n2026-03-02,300,Materials,Resin\n"


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("2026-13-01,10,labour,x", "Line 4, column date: '2026-13-01' is not a date (YYYY-MM-DD)."),
        ("2026-03-04,ten,labour,x", "Line 4, column amount: 'ten' is not an amount."),
        ("2026-03-04,NaN,labour,x", "Line 4, column amount: 'NaN' is not an amount."),
        (
            "2026-03-04,10,catering,x",
            "Line 4, column category: 'catering' is not one of labour, materials, equipment, subcontract, other.",
        ),
    ],
)
def test_csv_with_one_bad_row_imports_nothing_and_names_line_and_column(world, bad_row, message):
    text = HEADER + GOOD_ROWS + bad_row + "\n2026-03-05,10,labour,fine\n"
    with pytest.raises(ValidationError) as error:
        cost_services.cost_entries_import_csv(actor=world.pm, project=world.project_a, text=text)
    assert error.value.message_dict == {"file": [message]}
    assert not CostEntry.objects.exists()
    assert not Project.objects.get(pk=world.project_a.pk).cost_entries.exists()


def test_csv_import_reports_every_bad_row_at_once(world):
    text = HEADER + "2026-03-01,x,labour,\n2026-03-02,1,labour,\nyesterday,1,labour,\n"
    with pytest.raises(ValidationError) as error:
        cost_services.cost_entries_import_csv(actor=world.pm, project=world.project_a, text=text)
    assert [m.split(":")[0] for m in error.value.message_dict["file"]] == [
        "Line 2, column amount",
        "Line 4, column date",
    ]


def test_csv_import_of_good_rows_records_all_of_them_with_the_importer(world):
    created = cost_services.cost_entries_import_csv(actor=world.pm, project=world.project_a, text=HEADER + GOOD_ROWS)
    assert len(created) == 2
    rows = sorted(CostEntry.objects.values_list("date", "amount", "category", "created_by"))
    assert rows == [
        (dt.date(2026, 3, 1), Decimal("1200.50"), "labour", world.pm.pk),
        (dt.date(2026, 3, 2), Decimal("300.00"), "materials", world.pm.pk),
    ]
    with pytest.raises(PermissionDenied):
        cost_services.cost_entries_import_csv(actor=world.other_pm, project=world.project_a, text=HEADER + GOOD_ROWS)
    assert CostEntry.objects.count() == 2


# --- Notifications reach the right people, and only them -------------------------------------------------


@pytest.fixture
def crowd(world):
    """Beside ``world``: a second approver of A (notified), an inactive approver, a PM without e-mail."""
    return {
        "second_approver_a": ClientUserFactory(
            username="approver_a2", client=world.client_a, role=Role.CLIENT_APPROVER
        ),
        "inactive_approver_a": ClientUserFactory(
            username="approver_a_gone", client=world.client_a, role=Role.CLIENT_APPROVER, is_active=False
        ),
        "pm_without_email": UserFactory(username="pm_no_mail", email="", role=Role.PROJECT_MANAGER),
    }


def test_submit_notifies_only_the_clients_approvers(world, crowd):
    change = change_request_services.change_request_create(
        actor=world.pm, project=world.project_a, title="Extra stability study"
    )
    assert not Notification.objects.exists()  # a draft tells nobody
    change_request_services.change_request_submit(actor=world.pm, change=change)
    assert recipients("change_request_submitted") == {"approver_a", "approver_a2"}
    assert send_emails() == 2
    assert mailed_to() == {world.approver_a.email, crowd["second_approver_a"].email}
    assert all("Extra stability study" in m.body and "AAA-OPEN-01" in m.subject for m in mail.outbox)
    assert send_emails() == 0  # sent once
    assert len(mail.outbox) == 2


def test_decision_notifies_the_pm_only(world, submitted, crowd):
    Notification.objects.all().delete()
    change_request_services.change_request_decide(
        actor=world.approver_a, change=submitted, password=PASSWORD, approve=True
    )
    assert recipients("change_request_decided") == {"pm"}
    assert send_emails() == 1
    assert mailed_to() == {world.pm.email}
    assert world.approver_a.display_name in mail.outbox[0].body


def test_client_comment_on_a_shared_issue_notifies_the_pm_and_pm_reply_the_clients_users(world, crowd):
    issue = IssueFactory(project=world.project_a, raised_by=world.pm, assigned_to=world.pm)
    issue_services.issue_comment(actor=world.viewer_a, issue=issue, body="When is the CoA due?")
    assert recipients("issue_comment") == {"pm"}
    send_emails()
    assert mailed_to() == {world.pm.email}

    mail.outbox.clear()
    Notification.objects.all().delete()
    issue_services.issue_comment(actor=world.pm, issue=issue, body="Friday")
    assert recipients("issue_comment") == {"viewer_a", "approver_a", "approver_a2"}
    send_emails()
    assert mailed_to() == {world.viewer_a.email, world.approver_a.email, crowd["second_approver_a"].email}


def test_staff_comment_on_an_internal_issue_notifies_no_client(world, crowd):
    issue = IssueFactory(project=world.project_a, raised_by=world.pm, visibility=Visibility.INTERNAL)
    issue_services.issue_comment(actor=world.pm, issue=issue, body="Internal note")
    assert not Notification.objects.exists()


@pytest.mark.parametrize("visibility", [Visibility.INTERNAL, Visibility.SHARED])
def test_critical_deviation_notifies_pm_and_leadership_never_client_users(world, crowd, visibility):
    second_leader = UserFactory(username="lead2", role=Role.LEADERSHIP)
    quality_services.quality_event_create(
        actor=world.pm,
        project=world.project_a,
        reference="DEV-9",
        title="Sterility failure",
        kind="deviation",
        severity="critical",
        opened=dt.date(2026, 3, 1),
        visibility=visibility,
    )
    assert recipients("critical_quality_event") == {"pm", "lead", "lead2"}
    send_emails()
    assert mailed_to() == {world.pm.email, world.leadership.email, second_leader.email}
    assert not Notification.objects.filter(recipient__client__isnull=False).exists()


def test_minor_deviation_notifies_nobody(world):
    quality_services.quality_event_create(
        actor=world.pm,
        project=world.project_a,
        reference="DEV-10",
        title="Label smudge",
        kind="deviation",
        severity="minor",
        opened=dt.date(2026, 3, 1),
    )
    assert not Notification.objects.exists()


def test_resolving_a_shared_issue_notifies_the_clients_users_only(world, crowd):
    issue = IssueFactory(project=world.project_a, raised_by=world.viewer_a)
    issue_services.issue_resolve(actor=world.pm, issue=issue, resolution="Replaced the shipper")
    assert recipients("issue_resolved") == {"viewer_a", "approver_a", "approver_a2"}


# --- The broker is down at submit time ------------------------------------------------------------------


@pytest.fixture
def broker_down(monkeypatch):
    """Point the Celery app at a closed port (and drop its cached connection pools)."""
    from cmo_portal.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    with pytest.raises(OperationalError), app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    return app


def test_broker_outage_at_submit_does_not_lose_the_change_request(
    world, broker_down, django_capture_on_commit_callbacks, caplog
):
    change = change_request_services.change_request_create(
        actor=world.pm, project=world.project_a, title="During the outage"
    )
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True) as callbacks:
        change_request_services.change_request_submit(actor=world.pm, change=change)
    assert len(callbacks) >= 2  # e-mails and the score recompute were both attempted after commit
    messages = [r.getMessage() for r in caplog.records]
    # One broker-down path for every enqueue (core.broker.send_task_safely): both were tried and logged.
    assert any(m.startswith("Broker unavailable: projects.tasks.send_notification_emails") for m in messages), messages
    assert any(
        m.startswith(f"Broker unavailable: metrics.tasks.recompute_project_scores({world.project_a.pk},)")
        for m in messages
    ), messages

    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.SUBMITTED
    assert Project.objects.get(pk=world.project_a.pk).scores_stale
    (notification,) = Notification.objects.filter(kind="change_request_submitted")
    assert (notification.recipient, notification.emailed_at) == (world.approver_a, None)
    assert mail.outbox == []

    # The periodic sweep sends it later.
    assert send_emails() == 1
    assert mailed_to() == {world.approver_a.email}
    notification.refresh_from_db()
    assert notification.emailed_at is not None
