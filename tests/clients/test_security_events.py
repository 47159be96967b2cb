"""Security events land in the protected, audited trail with actor and time (issue 11, finding 6)."""

import pytest
from django.test import override_settings
from django.urls import reverse

from clients.models import Role, SecurityEvent, SecurityEventKind, User
from tests.clients.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def kinds(**filters) -> list[str]:
    return list(SecurityEvent.objects.filter(**filters).order_by("at", "pk").values_list("kind", flat=True))


def test_a_login_and_a_failed_login_are_recorded_with_who_and_when(client):
    user = UserFactory(username="pm.sec", role=Role.PROJECT_MANAGER)
    client.post(reverse("login"), {"username": "pm.sec", "password": "wrong-password"})
    client.post(reverse("login"), {"username": "pm.sec", "password": PASSWORD})
    events = list(SecurityEvent.objects.order_by("at", "pk"))
    assert [e.kind for e in events] == [SecurityEventKind.LOGIN_FAILED, SecurityEventKind.LOGIN]
    failed, success = events
    assert failed.username == "pm.sec"
    assert failed.user is None  # nothing is looked up from what an attacker typed
    assert success.user == user
    assert success.printed_name == user.display_name
    assert success.ip_address == "127.0.0.1"
    assert success.at is not None
    # The failed attempt is not erased by the success (axes resets its counter, not the trail).
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED).count() == 1


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_lockout_is_recorded(client):
    UserFactory(username="victim")
    for _ in range(4):
        client.post(reverse("login"), {"username": "victim", "password": "guess"})
    assert SecurityEventKind.LOCKED_OUT in kinds(username="victim")


def test_token_issuance_is_recorded(client):
    user = UserFactory(username="api.user")
    response = client.post(reverse("api:token"), {"username": "api.user", "password": PASSWORD})
    assert response.status_code == 200
    assert kinds(user=user) == [SecurityEventKind.TOKEN_ISSUED]


def test_role_changes_keep_old_and_new_values_in_the_audit_trail():
    user = UserFactory(username="promoted", role=Role.PROJECT_MANAGER)
    User.objects.filter(pk=user.pk).update(role=Role.LEADERSHIP)
    events = User.pgh_event_model.objects.filter(pgh_obj_id=user.pk).order_by("pgh_id")
    assert [e.role for e in events] == [Role.PROJECT_MANAGER, Role.LEADERSHIP]
    assert not hasattr(events[0], "password")  # the hash is not copied into the trail


def test_security_events_are_audited_and_hidden_from_client_users(world):
    SecurityEvent.objects.create(kind=SecurityEventKind.EXPORT, user=world.pm, username="pm", detail={"what": "x"})
    assert SecurityEvent.pgh_event_model.objects.count() == 1
    assert not SecurityEvent.objects.for_user(world.approver_a).exists()
    assert SecurityEvent.objects.for_user(world.admin).count() == 1


def test_an_export_is_recorded_with_what_was_exported(world, client):
    client.force_login(world.pm)
    response = client.get(reverse("project-audit-csv", kwargs={"pk": world.project_a.pk}))
    assert response.status_code == 200
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.user == world.pm
    assert event.detail["export"] == "project audit trail (CSV)"
    assert event.detail["project"] == world.project_a.code


def test_a_deactivated_user_cannot_log_in_and_the_username_is_never_taken_again(world, client):
    from django.core.exceptions import ValidationError

    from clients import services

    services.user_deactivate(actor=world.admin, user=world.pm, reason="Left the company")
    refused = client.post(reverse("login"), {"username": "pm", "password": PASSWORD})
    assert refused.status_code == 200  # the login page again, not a redirect into the portal
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("api:token"), {"username": "pm", "password": PASSWORD})
    assert response.status_code == 400
    with pytest.raises(ValidationError) as error:
        services.user_create(actor=world.admin, username="pm", password="another-Passw0rd-1", role=Role.PROJECT_MANAGER)
    assert "username" in error.value.message_dict
    events = User.pgh_event_model.objects.filter(pgh_obj_id=world.pm.pk).order_by("pgh_id")
    assert events.last().is_active is False
    assert events.last().pgh_context.metadata["reason"] == "Left the company"


def test_an_export_read_carries_its_own_attribution_into_the_trail(world, client):
    """Reads enter no audit context (issue 13); the security event an export writes still says who and how."""
    client.force_login(world.pm)
    assert client.get(reverse("project-audit-csv", kwargs={"pk": world.project_a.pk})).status_code == 200
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT, user=world.pm)
    trail = SecurityEvent.pgh_event_model.objects.get(pgh_obj_id=event.pk)
    metadata = trail.pgh_context.metadata
    assert metadata["username"] == world.pm.username
    assert metadata["channel"] == "page"


@pytest.mark.parametrize("name", ["project-list", "portfolio", "api:project-list", "api:score-list"])
def test_a_read_pays_nothing_for_the_audit_context(world, client, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.leadership)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse(name)).status_code == 200
    assert not [q["sql"] for q in ctx.captured_queries if "pghistory.context" in q["sql"]]
