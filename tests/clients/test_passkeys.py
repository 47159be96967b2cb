"""Passkeys as a second factor (issue 15, django-otp-webauthn): registered, named and removed on the two-factor page,
used at login instead of an authenticator code, never instead of the password. Real credentials and signatures from a
software authenticator (tests/clients/passkey_authenticator.py); the browser's side: tests/browser/test_passkeys.py."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.test import APIClient

from clients import passkeys, two_factor
from clients.models import SecurityEvent, SecurityEventKind, SecurityPolicy
from tests.clients.factories import PASSWORD
from tests.clients.passkey_authenticator import SoftAuthenticator
from tests.clients.test_two_factor import code_for, enrol, log_in, verify


def ceremony(client, step: str, body: dict | None = None):
    url = reverse("passkey", kwargs={"step": step})
    if body is None:
        return client.post(url)
    return client.post(url, data=json.dumps(body), content_type="application/json")


def register(client, authenticator: SoftAuthenticator, name: str = "Work laptop"):
    """The two-factor page's "Add a passkey": the browser makes it, then the page names it."""
    begin = ceremony(client, "register-begin")
    assert begin.status_code == 200, begin.content
    done = ceremony(client, "register-complete", authenticator.create(begin.json()))
    assert done.status_code == 200, done.content
    pk = done.json()["id"]
    named = client.post(reverse("two-factor"), {"action": "passkey-name", "passkey": pk, "name": name})
    return WebAuthnCredential.objects.get(pk=pk), named


def use_passkey(client, authenticator: SoftAuthenticator, next_url: str = "", **kwargs):
    """The login page's "Use your passkey"."""
    begin = ceremony(client, "verify-begin")
    assert begin.status_code == 200, begin.content
    url = reverse("passkey", kwargs={"step": "verify-complete"}) + (f"?next={next_url}" if next_url else "")
    return client.post(url, data=json.dumps(authenticator.get(begin.json(), **kwargs)), content_type="application/json")


def events(user, kind) -> list[dict]:
    return list(SecurityEvent.objects.filter(user=user, kind=kind).order_by("pk").values_list("detail", flat=True))


@pytest.fixture
def policy():
    return SecurityPolicy.objects.create(pk=1)


def test_a_passkey_is_registered_named_and_shown(world, client):
    client.force_login(world.viewer_a)
    passkey, named = register(client, SoftAuthenticator(), name="Work laptop")
    assert named.status_code == 200  # the first second factor: recovery codes, shown once
    html = named.content.decode()
    assert len(re.findall(r"<li><code>([a-z2-7]{8})</code></li>", html)) == 10
    assert "The passkey “Work laptop” was added." in html
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"
    assert passkey.user == world.viewer_a
    assert events(world.viewer_a, SecurityEventKind.TWO_FACTOR_ENABLED) == [
        {"method": "passkey", "passkey_id": passkey.pk}
    ]
    page = client.get(reverse("two-factor"), HTTP_HOST="localhost").content.decode()  # a secure context
    assert "Two-factor authentication is on" in page
    assert "Work laptop" in page
    assert 'id="passkey-data"' in page
    assert "<script>" not in page  # nothing inline: the CSP allows scripts from static only
    assert "onclick" not in page
    # A name is given once, right after the passkey is made; not to another one later.
    again = client.post(reverse("two-factor"), {"action": "passkey-name", "passkey": passkey.pk, "name": "Renamed"})
    assert again.status_code == 400
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"


def test_a_user_with_only_a_passkey_cannot_log_in_with_the_password_alone(world, client):
    authenticator = SoftAuthenticator()
    client.force_login(world.pm)
    passkey, _ = register(client, authenticator)
    client.post(reverse("logout"))

    project_list = reverse("project-list")
    assert log_in(client, world.pm, next_url=project_list).status_code == 302
    assert client.session[two_factor.SESSION_KEY] == two_factor.VERIFY
    for name in ("home", "project-list", "two-factor", "password_change"):
        assert client.get(reverse(name))["Location"].startswith(reverse("two-factor-verify")), name
    assert client.get(reverse("api:user-me")).status_code == 403
    assert ceremony(client, "register-begin").status_code == 302  # no new passkey before the second factor
    page = client.get(reverse("two-factor-verify"), HTTP_HOST="localhost").content.decode()
    assert "Use your passkey" in page
    on_testserver = client.get(reverse("two-factor-verify")).content.decode()  # plain http, not localhost
    assert "Passkeys work when the portal is opened by its name" in on_testserver

    # A forged signature is refused and recorded; the session still waits.
    refused = use_passkey(client, authenticator, tamper=True)
    assert refused.status_code == 422
    assert "could not be checked" in refused.json()["detail"]
    assert client.get(project_list).status_code == 302
    assert events(world.pm, SecurityEventKind.TWO_FACTOR_FAILED) == [
        {"method": "passkey", "error": "invalid_authentication_response"}
    ]
    # A replayed or missing challenge is refused too.
    assert ceremony(client, "verify-complete", authenticator.get({"challenge": "bm90LWFza2Vk"})).status_code == 400

    ok = use_passkey(client, authenticator, next_url=project_list)
    assert ok.status_code == 200, ok.content
    assert ok.json()["redirect_url"] == project_list
    assert client.get(project_list).status_code == 200
    assert two_factor.SESSION_KEY not in client.session
    assert events(world.pm, SecurityEventKind.TWO_FACTOR_VERIFIED) == [{"method": "passkey", "passkey_id": passkey.pk}]
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    assert passkey.sign_count == authenticator.sign_count
    # Once verified there is nothing left to verify.
    assert ceremony(client, "verify-begin").status_code == 403


def test_a_passkey_never_replaces_the_password(world, client):
    """Passwordless login is off: without a password login in this session no ceremony starts."""
    authenticator = SoftAuthenticator()
    client.force_login(world.pm)
    register(client, authenticator)
    client.post(reverse("logout"))
    anonymous = ceremony(client, "verify-begin")
    assert anonymous.status_code == 403
    assert ceremony(client, "register-begin").status_code == 403
    assert client.get(reverse("project-list")).status_code == 302


def test_a_removed_passkey_no_longer_works(world, client):
    device, _ = enrol(world.pm)  # an authenticator app too, so the login still asks for a second factor
    authenticator = SoftAuthenticator()
    log_in(client, world.pm)
    verify(client, code_for(device.key))
    passkey, _ = register(client, authenticator)

    wrong = client.post(reverse("two-factor"), {"action": "passkey-remove", "passkey": passkey.pk, "password": "x"})
    assert wrong.status_code == 400
    assert "password is not correct" in wrong.content.decode()
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()

    removed = client.post(
        reverse("two-factor"), {"action": "passkey-remove", "passkey": passkey.pk, "password": PASSWORD}
    )
    assert removed.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert events(world.pm, SecurityEventKind.TWO_FACTOR_DISABLED) == [
        {"method": "passkey", "passkey_id": passkey.pk, "passkey": "Work laptop"}
    ]

    client.post(reverse("logout"))
    log_in(client, world.pm)
    assert client.session[two_factor.SESSION_KEY] == two_factor.VERIFY  # the authenticator app is still there
    gone = use_passkey(client, authenticator)
    assert gone.status_code == 404
    assert client.get(reverse("project-list")).status_code == 302


def test_another_users_passkey_cannot_be_removed_or_named(world, client):
    other = APIClient()
    other.force_login(world.viewer_b)
    theirs, _ = register(other, SoftAuthenticator(), name="Borealis key")

    client.force_login(world.viewer_a)
    for data in (
        {"action": "passkey-remove", "passkey": theirs.pk, "password": PASSWORD},
        {"action": "passkey-name", "passkey": theirs.pk, "name": "Mine now"},
        {"action": "passkey-remove", "passkey": "not-a-number", "password": PASSWORD},
    ):
        assert client.post(reverse("two-factor"), data).status_code == 404, data
    theirs.refresh_from_db()
    assert theirs.name == "Borealis key"
    assert "Borealis key" not in client.get(reverse("two-factor")).content.decode()
    assert not SecurityEvent.objects.filter(user=world.viewer_a, kind=SecurityEventKind.TWO_FACTOR_DISABLED).exists()


def test_a_passkey_counts_as_enrolled_for_a_role_that_requires_two_factor(world, client, policy):
    policy.require_2fa_client_approver = True
    policy.save()
    authenticator = SoftAuthenticator()
    log_in(client, world.approver_a)
    assert client.session[two_factor.SESSION_KEY] == two_factor.ENROL
    assert "set up a passkey or an authenticator app" in client.get(reverse("two-factor")).content.decode()
    passkey, _ = register(client, authenticator)  # the enrol step may run the registration ceremony
    assert client.get(reverse("dashboard")).status_code == 200

    # The only second factor of a role that requires one stays, and two-factor cannot be turned off.
    kept = client.post(reverse("two-factor"), {"action": "passkey-remove", "passkey": passkey.pk, "password": PASSWORD})
    assert kept.status_code == 400
    assert "keep this passkey" in kept.content.decode()
    assert client.post(reverse("two-factor"), {"action": "disable", "password": PASSWORD}).status_code == 400
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()

    client.post(reverse("logout"))
    log_in(client, world.approver_a)
    assert client.session[two_factor.SESSION_KEY] == two_factor.VERIFY
    assert use_passkey(client, authenticator).status_code == 200
    assert client.get(reverse("dashboard")).status_code == 200


def test_registering_needs_a_session_that_passed_its_second_factor(world, client):
    client.force_login(world.pm)  # a session from before the authenticator was set up: never verified
    enrol(world.pm)
    refused = ceremony(client, "register-begin")
    assert refused.status_code == 403
    assert refused.json()["code"] == "user_not_verified"
    assert not WebAuthnCredential.objects.filter(user=world.pm).exists()


def test_the_api_token_stays_with_authenticator_and_recovery_codes(world, client):
    client.force_login(world.pm)
    passkey, named = register(client, SoftAuthenticator())
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", named.content.decode())
    url = reverse("api:token")
    api = APIClient()
    assert api.post(url, {"username": "pm", "password": PASSWORD}, format="json").status_code == 400
    ok = api.post(url, {"username": "pm", "password": PASSWORD, "otp": codes[0]}, format="json")
    assert ok.status_code == 200, ok.content
    StaticToken.objects.filter(device__user=world.pm).delete()
    only_passkey = api.post(url, {"username": "pm", "password": PASSWORD, "otp": codes[1]}, format="json")
    assert only_passkey.status_code == 400
    assert "passkey, which the API cannot check" in only_passkey.content.decode()


def test_turning_off_and_the_administrators_reset_remove_passkeys_too(world, client):
    client.force_login(world.viewer_a)
    register(client, SoftAuthenticator())
    assert client.post(reverse("two-factor"), {"action": "disable", "password": PASSWORD}).status_code == 302
    assert not WebAuthnCredential.objects.filter(user=world.viewer_a).exists()

    client.force_login(world.pm)
    register(client, SoftAuthenticator())
    admin = APIClient()
    admin.force_login(world.admin)
    admin.post(
        reverse("admin:clients_user_changelist"), {"action": "reset_two_factor", "_selected_action": [world.pm.pk]}
    )
    assert not WebAuthnCredential.objects.filter(user=world.pm).exists()


def test_the_ceremony_route_takes_known_steps_by_post_only(world, client):
    client.force_login(world.viewer_a)
    assert client.get(reverse("passkey", kwargs={"step": "register-begin"})).status_code == 405
    assert client.post(reverse("passkey", kwargs={"step": "passwordless"})).status_code == 404
    not_json = client.post(
        reverse("passkey", kwargs={"step": "register-complete"}), data="[1, 2]", content_type="application/json"
    )
    assert not_json.status_code == 400
    assert ceremony(client, "register-complete", {"id": "x"}).status_code == 400  # no ceremony was begun


def test_the_relying_party_is_the_configured_domain_or_the_host(rf, settings):
    settings.ALLOWED_HOSTS = ["portal.example.com", "localhost", "127.0.0.1"]
    request = rf.get("/", HTTP_HOST="portal.example.com:8443")
    assert passkeys.rp_id(request) == "portal.example.com"
    assert not passkeys.passkeys_possible(request)  # plain http on a public name: no secure context
    assert passkeys.passkeys_possible(rf.get("/", HTTP_HOST="localhost:8000"))
    assert passkeys.passkeys_possible(rf.get("/", HTTP_HOST="portal.example.com", secure=True))
    assert not passkeys.passkeys_possible(rf.get("/", HTTP_HOST="127.0.0.1:8000"))
    settings.WEBAUTHN_RP_ID = "example.com"
    assert passkeys.rp_id(request) == "example.com"
    assert passkeys.PasskeyHelper(request).get_allowed_origins() == ["http://portal.example.com:8443"]


def test_an_expired_password_still_lets_the_passkey_finish_the_login(world, client, settings):
    """Password ageing sends everything to the password change, except the login's own second step."""
    authenticator = SoftAuthenticator()
    client.force_login(world.pm)
    register(client, authenticator)
    client.post(reverse("logout"))
    settings.PASSWORD_MAX_AGE_DAYS = 30
    type(world.pm).objects.filter(pk=world.pm.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=31))
    log_in(client, world.pm)
    assert use_passkey(client, authenticator).status_code == 200
    assert client.get(reverse("project-list"))["Location"] == reverse("password_change")
    assert ceremony(client, "register-begin").status_code == 302  # nothing else before the new password
