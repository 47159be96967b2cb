"""Two-factor login (issue 15, part 2): TOTP with single-use recovery codes, a role that requires it is sent to
enrol, the API token asks for the code too, and e-signatures still re-enter the password (21 CFR 11.200)."""

import datetime as dt
import re
import time
from binascii import unhexlify

import pytest
from django.contrib import admin
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from clients import two_factor
from clients.models import SecurityEvent, SecurityEventKind, SecurityPolicy
from clients.roles import Role
from projects.models import ChangeRequestStatus, Signature
from tests.clients.factories import PASSWORD, UserFactory
from tests.projects.test_constraint_pages import records  # noqa: F401 (a fixture)


def code_for(key: str, *, at: float | None = None) -> str:
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def wait_out_throttle(user) -> None:
    """As if the user waited: the last wrong code lies an hour back (django-otp throttles from that time)."""
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user, throttling_failure_count__gt=0).update(throttling_failure_timestamp=an_hour_ago)


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """An authenticator and ten recovery codes for ``user``, as the enrolment page makes them."""
    device = TOTPDevice.objects.create(user=user, name=two_factor.TOTP_DEVICE_NAME, confirmed=True)
    return device, two_factor._new_recovery_codes(user)


def log_in(client, user, password: str = PASSWORD, next_url: str = ""):
    return client.post(reverse("login"), {"username": user.username, "password": password, "next": next_url})


def verify(client, code: str, next_url: str = ""):
    return client.post(reverse("two-factor-verify"), {"code": code, "next": next_url})


@pytest.fixture
def policy():
    return SecurityPolicy.objects.create(pk=1)


# --- Login with a second factor ------------------------------------------------------------------------------------


def test_a_user_with_totp_cannot_get_past_the_password_without_a_valid_code(world, client):
    device, _ = enrol(world.pm)
    project_list = reverse("project-list")

    assert log_in(client, world.pm, next_url=project_list).status_code == 302
    assert client.session[two_factor.SESSION_KEY] == two_factor.VERIFY
    blocked = client.get(project_list)
    assert blocked.status_code == 302
    assert blocked["Location"].startswith(reverse("two-factor-verify"))
    for name in ("home", "portfolio", "two-factor", "password_change", "admin:index"):
        assert client.get(reverse(name))["Location"].startswith(reverse("two-factor-verify")), name
    assert client.get(reverse("api:user-me")).status_code == 403
    page = client.get(blocked["Location"])
    assert page.status_code == 200
    assert "Two-factor check" in page.content.decode()
    assert "Borealis" not in page.content.decode()  # no navigation, no data before the second factor

    wrong = verify(client, "000000" if code_for(device.key) != "000000" else "111111", project_list)
    assert wrong.status_code == 400
    assert "not right" in wrong.content.decode()
    assert client.get(project_list).status_code == 302
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TWO_FACTOR_FAILED, user=world.pm).count() == 1

    wait_out_throttle(world.pm)  # django-otp waits a second after a wrong code before it checks again
    ok = verify(client, code_for(device.key), project_list)
    assert ok.status_code == 302
    assert ok["Location"] == project_list
    assert client.get(project_list).status_code == 200
    assert two_factor.SESSION_KEY not in client.session
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TWO_FACTOR_VERIFIED, user=world.pm).exists()


def test_wrong_codes_throttle_the_device(world, client):
    """django-otp's throttling is on: after a wrong code even the right one waits 1 s, then 2 s, 4 s ..."""
    device, _ = enrol(world.pm)
    log_in(client, world.pm)
    wrong = "999999" if code_for(device.key) != "999999" else "888888"
    assert verify(client, wrong).status_code == 400
    refused = verify(client, code_for(device.key))
    assert refused.status_code == 400
    assert "Too many wrong codes: wait 1 seconds" in refused.content.decode()
    assert client.get(reverse("project-list")).status_code == 302
    wait_out_throttle(world.pm)
    assert verify(client, wrong).status_code == 400
    assert "wait 2 seconds" in verify(client, code_for(device.key)).content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 2
    wait_out_throttle(world.pm)
    assert verify(client, code_for(device.key)).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_works_once(world, client):
    device, _ = enrol(world.pm)
    code = code_for(device.key)
    log_in(client, world.pm)
    assert verify(client, code).status_code == 302
    client.post(reverse("logout"))
    log_in(client, world.pm)
    replay = verify(client, code)
    assert replay.status_code == 400
    assert client.get(reverse("project-list")).status_code == 302


def test_recovery_codes_work_once(world, client):
    _, codes = enrol(world.approver_a)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    log_in(client, world.approver_a)
    assert verify(client, codes[0].upper()).status_code == 302  # typed in capitals: still the code
    assert client.get(reverse("dashboard")).status_code == 200
    event = SecurityEvent.objects.get(kind=SecurityEventKind.TWO_FACTOR_VERIFIED, user=world.approver_a)
    assert event.detail == {"method": "recovery_code", "recovery_codes_left": 9}

    client.post(reverse("logout"))
    log_in(client, world.approver_a)
    used = verify(client, codes[0])
    assert used.status_code == 400
    assert client.get(reverse("dashboard")).status_code == 302
    wait_out_throttle(world.approver_a)
    assert verify(client, codes[1]).status_code == 302
    assert StaticToken.objects.filter(device__user=world.approver_a).count() == 8


def test_a_user_without_a_device_logs_in_as_before(world, client):
    assert log_in(client, world.viewer_a).status_code == 302
    assert two_factor.SESSION_KEY not in client.session
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("two-factor-verify"))["Location"] == reverse("home")


# --- Enrolment -----------------------------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_confirms_with_a_code(world, client):
    client.force_login(world.viewer_a)
    page = client.get(reverse("two-factor"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert "Set up an authenticator app" in html
    key = client.session[two_factor.PENDING_KEY_SESSION]
    assert two_factor.secret_text(key) in html
    assert not TOTPDevice.objects.filter(user=world.viewer_a).exists()  # nothing written until confirmed

    wrong = client.post(reverse("two-factor"), {"action": "enrol", "code": "12345"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=world.viewer_a).exists()

    done = client.post(reverse("two-factor"), {"action": "enrol", "code": code_for(key)})
    html = done.content.decode()
    assert done.status_code == 200
    device = TOTPDevice.objects.get(user=world.viewer_a)
    assert device.confirmed
    assert device.key == key
    shown = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", html)
    assert len(shown) == 10
    assert set(shown) == set(StaticToken.objects.filter(device__user=world.viewer_a).values_list("token", flat=True))
    assert "not shown again" in html
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TWO_FACTOR_ENABLED, user=world.viewer_a).exists()
    again = client.get(reverse("two-factor")).content.decode()
    assert "Two-factor authentication is on" in again
    assert not re.findall(r"<li><code>", again)  # the codes are shown once

    # The next login asks for the code.
    client.post(reverse("logout"))
    log_in(client, world.viewer_a)
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("two-factor-verify"))


def test_recovery_codes_are_renewed_and_two_factor_turned_off_with_the_password(world, client):
    device, old_codes = enrol(world.viewer_a)
    log_in(client, world.viewer_a)
    verify(client, code_for(device.key))
    refused = client.post(reverse("two-factor"), {"action": "renew", "password": "wrong"})
    assert refused.status_code == 400
    assert "password is not correct" in refused.content.decode()
    renewed = client.post(reverse("two-factor"), {"action": "renew", "password": PASSWORD})
    new_codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", renewed.content.decode())
    assert len(new_codes) == 10
    assert not StaticToken.objects.filter(token__in=old_codes).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.RECOVERY_CODES_NEW).count() == 1

    off = client.post(reverse("two-factor"), {"action": "disable", "password": PASSWORD})
    assert off.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.viewer_a).exists()
    assert not StaticDevice.objects.filter(user=world.viewer_a).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TWO_FACTOR_DISABLED, user=world.viewer_a).exists()
    assert client.post(reverse("two-factor"), {"action": "nonsense"}).status_code == 400


# --- A role that requires it ---------------------------------------------------------------------------------------


def test_a_role_that_requires_two_factor_is_sent_to_enrol(world, client, policy):
    assert not SecurityPolicy().requires_two_factor(Role.CLIENT_APPROVER)  # nothing required by default
    policy.require_2fa_client_approver = True
    policy.save()

    log_in(client, world.approver_a)
    assert client.session[two_factor.SESSION_KEY] == two_factor.ENROL
    for name in ("dashboard", "project-list", "password_change", "two-factor-verify"):
        assert client.get(reverse(name))["Location"].startswith(reverse("two-factor")), name
    assert client.get(reverse("api:user-me")).status_code == 403
    page = client.get(reverse("two-factor")).content.decode()
    assert "Your role requires two-factor authentication" in page

    key = client.session[two_factor.PENDING_KEY_SESSION]
    enrolled = client.post(reverse("two-factor"), {"action": "enrol", "code": code_for(key)})
    assert enrolled.status_code == 200
    assert client.get(reverse("dashboard")).status_code == 200
    # Required: it cannot be turned off by the user.
    kept = client.post(reverse("two-factor"), {"action": "disable", "password": PASSWORD})
    assert kept.status_code == 400
    assert TOTPDevice.objects.filter(user=world.approver_a, confirmed=True).exists()

    # Other roles are not affected.
    other = APIClient()
    assert log_in(other, world.viewer_a).status_code == 302
    assert other.get(reverse("dashboard")).status_code == 200


def test_the_policy_is_edited_in_the_admin_and_a_lost_phone_is_reset_there(world, client, policy):
    """Editing needs a reason (tests/test_admin.py covers the reason for every audited model); the reset is an
    action on the user list, recorded as a security event naming the administrator."""
    assert admin.site._registry[SecurityPolicy]
    assert TOTPDevice not in admin.site._registry  # the secret is not shown in the admin
    enrol(world.pm)
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:clients_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [world.pm.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.pm).exists()
    event = SecurityEvent.objects.get(kind=SecurityEventKind.TWO_FACTOR_DISABLED, user=world.pm)
    assert event.detail == {"by": world.admin.username}


# --- API tokens ----------------------------------------------------------------------------------------------------


def test_the_api_token_asks_for_the_code_too(world, policy):
    device, codes = enrol(world.pm)
    url = reverse("api:token")
    api = APIClient()
    no_code = api.post(url, {"username": "pm", "password": PASSWORD}, format="json")
    assert no_code.status_code == 400
    assert "send the current code as 'otp'" in no_code.content.decode()
    wrong = api.post(url, {"username": "pm", "password": PASSWORD, "otp": "nope1234"}, format="json")
    assert wrong.status_code == 400
    ok = api.post(url, {"username": "pm", "password": PASSWORD, "otp": code_for(device.key)}, format="json")
    assert ok.status_code == 200, ok.content
    assert StaticToken.objects.filter(token__in=codes).count() == 10

    policy.require_2fa_leadership = True
    policy.save()
    required = api.post(url, {"username": "lead", "password": PASSWORD}, format="json")
    assert required.status_code == 400
    assert "set it up in the portal first" in required.content.decode()
    assert api.post(url, {"username": "viewer_a", "password": PASSWORD}, format="json").status_code == 200


# --- Password reset and e-signatures keep their own rules ----------------------------------------------------------


def test_a_password_reset_does_not_skip_the_second_factor(world, client):
    enrol(world.viewer_a)
    client.post(reverse("password_reset"), {"email": world.viewer_a.email})
    link = re.search(r"(/accounts/password-reset/[^/\s]+/[^/\s]+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    new = "Fresh-Plate-Reader-71"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    log_in(client, world.viewer_a, password=new)
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("two-factor-verify"))


def test_signing_still_needs_the_password_after_the_second_factor(world, records, client):  # noqa: F811
    device, _ = enrol(world.approver_a)
    log_in(client, world.approver_a)
    assert verify(client, code_for(device.key)).status_code == 302
    change = records["submitted"]
    url = reverse("change-request-detail", kwargs={"pk": change.pk})

    for password in ("", code_for(device.key), "not-my-password"):
        refused = client.post(url, {"action": "sign", "decision": "approve", "password": password, "comment": ""})
        assert refused.status_code == 400, password
    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.SUBMITTED
    assert not Signature.objects.exists()

    signed = client.post(url, {"action": "sign", "decision": "approve", "password": PASSWORD, "comment": "OK"})
    assert signed.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeRequestStatus.APPROVED
    assert Signature.objects.get(object_id=change.pk).signer == world.approver_a


def test_the_policy_row_is_read_without_a_write(db):
    assert SecurityPolicy.current().pk == 1
    assert not SecurityPolicy.objects.exists()
    user = UserFactory(username="admin2", role=Role.ADMIN)
    assert two_factor.login_step(user) is None
