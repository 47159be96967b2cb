"""The GxP audit trail: one event per change, whichever way the change arrives."""

import csv
import datetime as dt
import io

import pghistory
import pytest
from django.db import connection, transaction
from django.db.utils import InternalError
from django.urls import reverse
from pghistory.models import Events

from core.audit import audit_context
from projects.audit import project_audit_trail
from projects.milestones import services as milestone_services
from projects.models import Milestone
from tests.conftest import api_as


def updates_of(milestone):
    return [e for e in Events.objects.references([milestone]).order_by("pgh_created_at") if e.pgh_label == "update"]


def test_service_change_yields_one_event_with_actor_reason_and_old_new(world):
    with audit_context(channel="page"):
        milestone_services.milestone_update(
            actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 6, 15), reason="Column resin late"
        )
    (event,) = updates_of(world.milestone_a)
    assert event.pgh_context["user"] == world.pm.pk
    assert event.pgh_context["reason"] == "Column resin late"
    assert event.pgh_context["channel"] == "page"
    assert event.pgh_diff["forecast_date"] == ["2026-06-01", "2026-06-15"]
    assert event.pgh_created_at.utcoffset() == dt.timedelta(0)


def test_page_post_is_recorded_with_channel_page(world, client):
    client.force_login(world.pm)
    prefix = f"m{world.milestone_a.pk}"
    client.post(
        reverse("milestone-edit", kwargs={"pk": world.milestone_a.pk}),
        {
            f"{prefix}-version": 1,
            f"{prefix}-forecast_date": "2026-06-08",
            f"{prefix}-percent_complete": "0",
            f"{prefix}-reason": "Operator shortage",
        },
    )
    (event,) = updates_of(world.milestone_a)
    assert (event.pgh_context["channel"], event.pgh_context["user"]) == ("page", world.pm.pk)
    assert event.pgh_context["reason"] == "Operator shortage"


def test_api_change_is_recorded_with_channel_api_and_token_user(world, api):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.pm)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = reverse("api:milestone-detail", kwargs={"pk": world.milestone_a.pk})
    etag = api.get(url)["ETag"]
    api.patch(url, {"forecast_date": "2026-06-09", "reason": "Via API"}, format="json", HTTP_IF_MATCH=etag)
    (event,) = updates_of(world.milestone_a)
    assert event.pgh_context["channel"] == "api"
    assert event.pgh_context["user"] == world.pm.pk
    assert event.pgh_context["reason"] == "Via API"


def test_admin_change_is_recorded_with_channel_admin(world, client):
    client.force_login(world.admin)
    url = reverse("admin:projects_project_change", args=[world.project_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if not isinstance(v, list)}
    data.update(name="Renamed in admin", client=world.client_a.pk, manager=world.pm.pk)
    refused = client.post(url, data)  # issue 11: an admin edit of a tracked record needs a reason
    assert refused.status_code == 200
    assert "Say why you change this project" in refused.content.decode()
    data["reason"] = "Programme renamed by the client"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    (event,) = [
        e
        for e in Events.objects.references(world.project_a)
        if e.pgh_label == "update" and e.pgh_obj_model == "projects.Project"
    ]
    assert event.pgh_context["channel"] == "admin"
    assert event.pgh_context["user"] == world.admin.pk
    assert event.pgh_diff["name"] == ["Aurora visible project", "Renamed in admin"]


def test_queryset_update_and_bulk_update_are_captured(world):
    with audit_context(actor=world.pm, channel="command", reason="Bulk fix"):
        Milestone.objects.filter(pk=world.milestone_a.pk).update(percent_complete=30)
        world.internal_milestone_a.percent_complete = 60
        Milestone.objects.bulk_update([world.internal_milestone_a], ["percent_complete"])
    (first,) = updates_of(world.milestone_a)
    (second,) = updates_of(world.internal_milestone_a)
    for event in (first, second):
        assert event.pgh_context["reason"] == "Bulk fix"
        assert event.pgh_context["user"] == world.pm.pk
    assert first.pgh_diff == {"percent_complete": [0.0, 30.0]}


def test_raw_sql_is_captured_with_its_channel(world):
    with pghistory.context(channel="sql", reason="Data correction ticket 42"), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE projects_milestone SET name = %s WHERE id = %s", ["Renamed by SQL", world.milestone_a.pk]
        )
    (event,) = updates_of(world.milestone_a)
    assert event.pgh_context == {"channel": "sql", "reason": "Data correction ticket 42"}
    assert event.pgh_diff["name"] == ["Aurora shared milestone", "Renamed by SQL"]


def test_raw_sql_without_context_is_still_captured(world):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE projects_milestone SET name = 'No context' WHERE id = %s", [world.milestone_a.pk])
    (event,) = updates_of(world.milestone_a)
    assert event.pgh_context is None
    entry = next(e for e in project_audit_trail(project=world.project_a) if e.action == "update")
    assert entry.channel == "database"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE projects_milestoneevent SET name = 'forged'",
        "DELETE FROM projects_milestoneevent",
        "TRUNCATE projects_milestoneevent",
    ],
)
def test_event_tables_are_append_only(world, statement):
    assert Events.objects.references([world.milestone_a]).exists()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL cmo.test_flush = 'off'")
        with pytest.raises(InternalError, match="append-only|Cannot update or delete"), transaction.atomic():
            cursor.execute(statement)


def test_audit_page_api_and_csv_show_who_when_what_why(world, client):
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 6, 20), reason="Buffer stability"
    )
    client.force_login(world.leadership)
    page = client.get(reverse("project-audit", kwargs={"pk": world.project_a.pk})).content.decode()
    assert "Buffer stability" in page
    assert "2026-06-01" in page
    assert "2026-06-20" in page

    data = api_as(world.leadership).get(reverse("api:project-audit", kwargs={"pk": world.project_a.pk})).json()
    update = next(e for e in data["results"] if e["action"] == "update")
    assert update["reason"] == "Buffer stability"
    assert {"field": "forecast_date", "old": "2026-06-01", "new": "2026-06-20"} in update["changes"]

    response = client.get(reverse("project-audit-csv", kwargs={"pk": world.project_a.pk}))
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    row = next(r for r in rows if r["field"] == "forecast_date" and r["action"] == "update")
    assert (row["old"], row["new"], row["reason"]) == ("2026-06-01", "2026-06-20", "Buffer stability")
    assert row["when_utc"].endswith("+00:00")


def test_client_users_never_see_the_audit_trail_even_of_their_own_project(world, client):
    client.force_login(world.approver_a)
    assert client.get(reverse("project-audit", kwargs={"pk": world.project_a.pk})).status_code == 404
    assert client.get(reverse("project-audit-csv", kwargs={"pk": world.project_a.pk})).status_code == 404
    api = api_as(world.approver_a)
    assert api.get(reverse("api:project-audit", kwargs={"pk": world.project_a.pk})).status_code == 404


def test_audit_page_query_count_is_fixed(world, client, django_assert_max_num_queries):
    from django.test.utils import CaptureQueriesContext

    milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_a, percent_complete=10)
    client.force_login(world.leadership)
    url = reverse("project-audit", kwargs={"pk": world.project_a.pk})
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    for day in range(1, 30):
        milestone_services.milestone_update(
            actor=world.pm,
            milestone=Milestone.objects.get(pk=world.milestone_a.pk),
            forecast_date=dt.date(2026, 7, day),
            reason=f"Move {day}",
        )
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        client.get(url)


@pytest.mark.django_db(transaction=True)  # the rename comes later, in a transaction of its own
def test_a_renamed_user_keeps_the_old_name_on_old_changes(world):
    """Issue 11, finding 5: names are frozen into each event when it is written."""
    from clients.models import User
    from projects import audit
    from projects.milestones import services as milestone_services

    milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_a, percent_complete=40)
    old_name = f"{world.pm.display_name} ({world.pm.username})"
    User.objects.filter(pk=world.pm.pk).update(full_name="Renamed Person", username="renamed.pm")
    entries = audit.project_audit_trail(project=world.project_a)
    (update,) = [e for e in entries if e.record_type == "Milestone" and e.action == "update"]
    assert update.actor == old_name


def test_two_edits_by_two_users_in_one_transaction_are_each_attributed(world):
    """Issue 11, finding 4: attribution is per change, not last-writer-wins per transaction."""
    from django.db import transaction

    from core.audit import audit_context
    from projects.milestones import services as milestone_services
    from projects.risks import services as risk_services

    with transaction.atomic(), audit_context(channel="command", reason="Nightly data fix"):
        milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_a, percent_complete=35)
        risk = risk_services.risk_create(
            actor=world.admin,
            project=world.project_a,
            title="Resin shortage",
            probability=3,
            impact=4,
            reason="Raised at the steering committee",
        )
    (milestone_event,) = updates_of(world.milestone_a)
    risk_event = type(risk).pgh_event_model.objects.get(pgh_obj_id=risk.pk)
    m, r = milestone_event.pgh_context, risk_event.pgh_context.metadata
    assert (m["user"], m["username"], m["channel"]) == (world.pm.pk, "pm", "command")
    assert "reason" not in m or m["reason"] == "Nightly data fix"
    assert (r["user"], r["username"], r["reason"], r["channel"]) == (
        world.admin.pk,
        world.admin.username,
        "Raised at the steering committee",
        "command",
    )
