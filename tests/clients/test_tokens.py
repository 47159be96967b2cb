"""API tokens expire, can be revoked, die with a password change, and the endpoint is rate-limited."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.clients.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def token_for(username: str) -> str:
    response = APIClient().post(reverse("api:token"), {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def me(token: str) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api.get(reverse("api:user-me")).status_code


def test_an_expired_token_is_refused_and_a_new_one_is_issued():
    UserFactory(username="api.exp")
    token = token_for("api.exp")
    assert me(token) == 200
    Token.objects.filter(key=token).update(created=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert me(token) == 401
    fresh = token_for("api.exp")
    assert fresh != token
    assert me(fresh) == 200


def test_delete_revokes_the_token():
    UserFactory(username="api.rev")
    token = token_for("api.rev")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.delete(reverse("api:token")).status_code == 204
    assert me(token) == 401
    assert APIClient().delete(reverse("api:token")).status_code == 401


def test_a_password_change_revokes_the_tokens(client):
    user = UserFactory(username="api.pwd")
    token = token_for("api.pwd")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "A-new-Passw0rd-2026", "new_password2": "A-new-Passw0rd-2026"},
    )
    assert response.status_code == 302
    assert me(token) == 401


def test_the_token_endpoint_is_rate_limited(monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "5/min"})  # the real limit is 20/min
    UserFactory(username="api.rate")
    api = APIClient()
    codes = [
        api.post(reverse("api:token"), {"username": "api.rate", "password": "wrong"}, format="json").status_code
        for _ in range(8)
    ]
    assert codes[:5] == [400] * 5
    assert 429 in codes[5:]


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_locked_account_answers_429_like_the_login_page():
    UserFactory(username="api.lock")
    api = APIClient()
    for _ in range(3):
        api.post(reverse("api:token"), {"username": "api.lock", "password": "wrong"}, format="json")
    locked = api.post(reverse("api:token"), {"username": "api.lock", "password": PASSWORD}, format="json")
    assert locked.status_code == 429
    assert "locked" in locked.json()["detail"]


def test_a_client_cannot_pick_its_own_rate_limit_bucket_with_x_forwarded_for(monkeypatch):
    """No trusted proxy (``DJANGO_TRUSTED_PROXIES`` 0): the bucket is the connection's address, whatever
    ``X-Forwarded-For`` a client sends (DRF's default would have used the header)."""
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "5/min"})
    UserFactory(username="api.spoof")
    api = APIClient()
    codes = [
        api.post(
            reverse("api:token"),
            {"username": "api.spoof", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(8)
    ]
    assert codes[:5] == [400] * 5
    assert 429 in codes[5:]
