"""Password ageing (issue 11, finding 8): off by default; with PASSWORD_MAX_AGE_DAYS set, an older password must be
changed before anything else, on pages and in the API; the change is a security event, not a record change."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clients.models import SecurityEvent, SecurityEventKind, User
from tests.clients.factories import PASSWORD, UserFactory

NEW_PASSWORD = "A-new-Passw0rd-2026"


def age_password(user, days: int) -> None:
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=days))


def token(username: str, password: str = PASSWORD):
    return APIClient().post(reverse("api:token"), {"username": username, "password": password}, format="json")


def me_with(key: str) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get(reverse("api:user-me")).status_code


@pytest.mark.django_db
def test_off_by_default_an_old_password_changes_nothing(client, settings):
    assert settings.PASSWORD_MAX_AGE_DAYS == 0
    user = UserFactory(username="age.off")
    age_password(user, 3650)
    client.force_login(user)
    assert client.get(reverse("project-list")).status_code == 200
    assert token("age.off").status_code == 200


@pytest.mark.django_db
def test_a_new_password_starts_the_clock_and_a_fresh_account_is_not_expired(settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    user = UserFactory(username="age.fresh")
    assert user.password_changed_at is not None
    assert timezone.now() - user.password_changed_at < dt.timedelta(minutes=1)
    User.objects.filter(pk=user.pk).update(password_changed_at=None)  # an account from before ageing existed
    assert token("age.fresh").status_code == 200  # counted from date_joined


@pytest.mark.django_db
def test_an_expired_password_must_be_changed_first_on_pages_and_in_the_api(client, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    user = UserFactory(username="age.old")
    issued = token("age.old").json()["token"]
    age_password(user, 91)
    events_before = user.pgh_event_model.objects.count()

    client.force_login(user)
    page = client.get(reverse("project-list"))
    assert page.status_code == 302
    assert page["Location"] == reverse("password_change")
    api = client.get(reverse("api:user-me"))
    assert api.status_code == 403
    assert "older than 90 days" in api.json()["detail"]
    assert me_with(issued) == 401
    refused = token("age.old")
    assert refused.status_code == 400
    assert "older than 90 days" in refused.json()["non_field_errors"][0]
    form = client.get(reverse("password_change"), follow=True)
    assert form.status_code == 200
    assert "older than 90 days" in form.content.decode()

    changed = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert client.get(reverse("project-list")).status_code == 200
    assert token("age.old", NEW_PASSWORD).status_code == 200
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PASSWORD_CHANGED, user=user)
    assert event.detail["tokens_revoked"] == 1
    assert user.pgh_event_model.objects.count() == events_before  # a new password is not a change of the record


@pytest.mark.django_db
def test_a_hash_upgraded_at_login_does_not_restart_the_clock(settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = UserFactory(username="age.rehash")
    age_password(user, 91)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert token("age.rehash").status_code == 400  # still expired, although the hash was upgraded on the way
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_")
    assert timezone.now() - user.password_changed_at > dt.timedelta(days=90)


@pytest.mark.django_db
def test_a_password_set_by_an_administrator_revokes_tokens_and_is_a_security_event(client):
    admin_user = UserFactory(username="age.admin", role="admin", is_staff=True, is_superuser=True)
    user = UserFactory(username="age.target")
    issued = token("age.target").json()["token"]
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert me_with(issued) == 401
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PASSWORD_CHANGED, user=user)
    assert event.detail["by"] == "age.admin"
