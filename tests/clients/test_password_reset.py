"""Password reset by e-mail (issue 15, part 1): Django's views in the portal's look, the same answer for known and
unknown addresses, a link that works once and expires, and a new password that counts as a password change."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from clients.models import SecurityEvent, SecurityEventKind, User
from clients.views import reset_rate_keys
from tests.clients.factories import PASSWORD, UserFactory

NEW_PASSWORD = "Fresh-Plate-Reader-71"
LINK = re.compile(r"https?://[^/\s]+(/accounts/password-reset/[^/\s]+/[^/\s]+/)")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with empty reset counters for the addresses it uses and the test client's IP."""
    addresses = ["reset.me@example.com", "nobody@example.com", "RESET.ME@example.com"]
    keys = [key for address in addresses for key in reset_rate_keys(address, "127.0.0.1")]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def user():
    return UserFactory(username="reset.me", email="reset.me@example.com")


def ask(client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def link_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def set_password(client, link: str, password: str = NEW_PASSWORD):
    """Open the link (Django moves the token into the session) and post the new password; returns the last answer."""
    opened = client.get(link)
    if opened.status_code != 302:
        return opened
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def test_the_login_page_links_to_the_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page
    form = client.get(reverse("password_reset"))
    assert form.status_code == 200
    assert "Reset your password" in form.content.decode()


def test_a_known_address_gets_the_email_and_an_unknown_one_the_same_answer(client, user, settings):
    settings.PORTAL_BASE_URL = "https://portal.cmo.example"
    known = ask(client, "reset.me@example.com")
    unknown = ask(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reset.me@example.com"]
    assert message.subject == "CMO Portal: reset your password"
    assert "https://portal.cmo.example/accounts/password-reset/" in message.body  # never the request's Host
    assert "reset.me" in message.body
    done = client.get(reverse("password_reset_done")).content.decode()
    assert "If the address belongs to a portal account" in done
    asked = SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_RESET_ASKED).order_by("at")
    assert [(e.username, e.detail["known_address"]) for e in asked] == [
        ("reset.me@example.com", True),
        ("nobody@example.com", False),
    ]


def test_the_link_works_once_and_sets_a_password_change(client, user):
    Token.objects.create(user=user)
    before = User.objects.get(pk=user.pk).password_changed_at
    ask(client, "RESET.ME@example.com")  # the address is matched without regard to case
    link = link_in(mail.outbox[0])

    done = set_password(client, link)
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.password_changed_at > before  # password ageing counts from now
    assert not Token.objects.filter(user=user).exists()  # API tokens die with the old password
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PASSWORD_CHANGED, user=user)
    assert event.detail["via"] == "password_reset"

    again = client.get(link)
    assert again.status_code == 200
    assert "This link no longer works" in again.content.decode()
    assert not User.objects.get(pk=user.pk).check_password("Another-Pass-99x")
    assert client.post(reverse("login"), {"username": "reset.me", "password": NEW_PASSWORD}).status_code == 302


def test_the_link_expires(client, user, settings):
    ask(client, "reset.me@example.com")
    link = link_in(mail.outbox[0])
    later = dt.datetime.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 5)  # noqa: DTZ005 (Django's own)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        expired = set_password(client, link)
    assert expired.status_code == 200
    assert "This link no longer works" in expired.content.decode()
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)

    almost = dt.datetime.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60)  # noqa: DTZ005
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=almost):
        assert set_password(client, link).status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_a_stale_link_is_refused(client, user):
    """An older link dies when a newer one sets the password, and when the user logs in after it was sent."""
    ask(client, "reset.me@example.com")
    ask(client, "reset.me@example.com")
    first, second = link_in(mail.outbox[0]), link_in(mail.outbox[1])
    assert set_password(client, second).status_code == 302
    stale = set_password(client, first, password="Yet-Another-Plate-88")
    assert "This link no longer works" in stale.content.decode()
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)

    ask(client, "reset.me@example.com")
    link = link_in(mail.outbox[2])
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())  # the user remembered and logged in
    refused = set_password(client, link, password="Yet-Another-Plate-88")
    assert "This link no longer works" in refused.content.decode()


def test_a_bad_link_and_a_weak_password_are_refused_cleanly(client, user):
    bad = client.get(reverse("password_reset_confirm", kwargs={"uidb64": "zzzz", "token": "not-a-token"}))
    assert bad.status_code == 200
    assert "This link no longer works" in bad.content.decode()
    ask(client, "reset.me@example.com")
    weak = set_password(client, link_in(mail.outbox[0]), password="12345678")
    assert weak.status_code == 200
    assert "This password is too common" in weak.content.decode()
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
    assert ask(client, "not an address").status_code == 200  # the form says what is wrong; nothing sent
    assert len(mail.outbox) == 1


def test_requests_are_limited_per_address_with_the_same_answer(client, user, settings):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 2
    answers = [ask(client, "reset.me@example.com") for _ in range(4)]
    assert {a["Location"] for a in answers} == {reverse("password_reset_done")}
    assert len(mail.outbox) == 2
    sent = [e.detail["sent"] for e in SecurityEvent.objects.filter(kind=SecurityEventKind.PASSWORD_RESET_ASKED)]
    assert sorted(sent) == [False, False, True, True]


def test_a_reset_lifts_the_login_lockout_of_that_user(client, user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "reset.me", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "reset.me", "password": PASSWORD}).status_code in (403, 429)
    ask(client, "reset.me@example.com")
    assert set_password(client, link_in(mail.outbox[0])).status_code == 302
    logged_in = client.post(reverse("login"), {"username": "reset.me", "password": NEW_PASSWORD})
    assert logged_in.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_an_inactive_user_gets_no_email(client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert ask(client, "reset.me@example.com")["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
