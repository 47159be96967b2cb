"""A passkey in a real browser: Chromium's virtual authenticator (DevTools protocol, WebAuthn domain) makes it on the
two-factor page, django-otp-webauthn's scripts run under the portal's Content-Security-Policy, and the next login uses
it as the second factor. WebAuthn needs a secure context and a domain as relying party: the live server is reached as
http://localhost:<port> (pytest-django's default), never 127.0.0.1.

Screenshots: tests/artifacts/passkeys-1366.png, passkeys-390.png (the two-factor page with a passkey).
"""

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from clients.models import SecurityEvent, SecurityEventKind
from tests.browser.conftest import login
from tests.clients.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


def test_a_passkey_is_added_and_then_used_as_the_second_factor(world, live_server, page, screenshot):
    assert live_server.url.startswith("http://localhost:")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})["authenticatorId"]

    login(page, live_server, "pm", PASSWORD)
    page.goto(f"{live_server.url}/accounts/two-factor/")
    page.wait_for_selector("#passkey-register-button")  # the library's script found WebAuthn and showed the form

    # No name, no passkey: the browser is not asked.
    page.click("#passkey-register-button")
    assert not WebAuthnCredential.objects.filter(user=world.pm).exists()

    page.fill("#passkey-name", "Work laptop")
    with page.expect_navigation():
        page.click("#passkey-register-button")
    page.wait_for_load_state("networkidle")
    assert "The passkey “Work laptop” was added." in page.content()
    assert page.locator("#recovery-codes li").count() == 10
    passkey = WebAuthnCredential.objects.get(user=world.pm)
    assert passkey.name == "Work laptop"
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1

    page.goto(f"{live_server.url}/accounts/two-factor/")
    page.wait_for_selector("#passkey-register-button")
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        screenshot(f"passkeys-{width}")
    page.set_viewport_size({"width": 1280, "height": 860})

    # Log out, log in with the password: the passkey is the second step.
    page.click(".usermenu summary")  # the user menu opens; "Log out" is in it
    page.click(".usermenu button.linkish")
    page.wait_for_load_state("networkidle")
    login(page, live_server, "pm", PASSWORD)
    assert "/accounts/two-factor/verify/" in page.url
    page.wait_for_selector("#passkey-verification-button")
    screenshot("passkeys-verify")
    with page.expect_navigation():
        page.click("#passkey-verification-button")
    page.wait_for_load_state("networkidle")
    assert "/accounts/two-factor/" not in page.url
    assert page.locator(".usermenu").is_visible()  # logged in: the navigation is back
    assert SecurityEvent.objects.filter(
        user=world.pm, kind=SecurityEventKind.TWO_FACTOR_VERIFIED, detail__method="passkey"
    ).exists()
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    assert page.console_errors == []  # no CSP violation, no script error
