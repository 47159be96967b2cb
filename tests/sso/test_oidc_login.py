"""Single sign-on through a real OpenID Connect provider on 127.0.0.1 (tests/sso_provider.py), issue 15.

The browser's part is played by Django's test client (the portal) and ``requests`` (the provider's /authorize);
the portal talks to the provider's /token and /jwks over real HTTP, as in production.
"""

from html import escape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from clients.models import SecurityEvent, SecurityEventKind, User
from clients.roles import Role
from sso import services, views
from sso.models import OidcProvider, SsoDomain, SsoIdentity
from tests.sso_provider import REMOVE, OidcTestProvider, new_key

CALLBACK = "http://testserver/accounts/sso/callback/"


@pytest.fixture(scope="session")
def provider_server():
    server = OidcTestProvider().start()
    yield server
    server.stop()


@pytest.fixture
def idp(provider_server):
    provider_server.reset()
    provider_server.register_client("portal-aurora", "aurora-secret-0001", CALLBACK)
    provider_server.register_client("portal-borealis", "borealis-secret-0002", CALLBACK)
    return provider_server


@pytest.fixture
def sso(world, idp):
    """Aurora (client A) and Borealis (client B) each sign in through their own registration at the provider."""
    aurora = OidcProvider.objects.create(
        client=world.client_a,
        issuer=idp.issuer,
        oidc_client_id="portal-aurora",
        oidc_client_secret="aurora-secret-0001",
    )
    SsoDomain.objects.create(provider=aurora, domain="aurora.example")
    borealis = OidcProvider.objects.create(
        client=world.client_b,
        issuer=idp.issuer,
        oidc_client_id="portal-borealis",
        oidc_client_secret="borealis-secret-0002",
    )
    SsoDomain.objects.create(provider=borealis, domain="borealis.example")
    User.objects.filter(pk=world.viewer_a.pk).update(email="vera@aurora.example")
    User.objects.filter(pk=world.viewer_b.pk).update(email="bert@borealis.example")
    world.viewer_a.refresh_from_db()
    world.viewer_b.refresh_from_db()
    return {"aurora": aurora, "borealis": borealis}


def start(client, email: str, **extra):
    response = client.post(reverse("sso-start"), {"email": email, **extra})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def at_provider(authorize_url: str) -> str:
    """The browser at the provider: it approves at once and sends the browser back with a code (not followed)."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    back = urlsplit(response.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return f"{back.path}?{back.query}"


def sign_in(client, email: str, **extra):
    return client.get(at_provider(start(client, email, **extra)))


def says(response, message: str) -> bool:
    return escape(message) in response.content.decode()


def logged_in_user(client):
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def failures():
    return list(SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED).order_by("at"))


# --- The happy path, and what a provider's claims cannot do --------------------------------------------------------


def test_a_user_signs_in_through_their_provider_and_lands_on_their_clients_dashboard(world, sso, idp, client):
    idp.sign_in_as(
        "aurora|vera",
        email="Vera@Aurora.example",
        client="borealis-secret",  # claims naming another client and staff roles: never read
        role="admin",
        roles=["admin", "leadership"],
        groups=["cmo-staff", "borealis-secret"],
        is_staff=True,
    )
    authorize_url = start(client, "vera@aurora.example")
    params = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(f"{idp.issuer}/authorize?")
    assert params["client_id"] == ["portal-aurora"]
    assert params["code_challenge_method"] == ["S256"]
    assert params["nonce"]
    assert params["state"]

    landed = client.get(at_provider(authorize_url), follow=True)

    assert landed.redirect_chain[-1][0] == reverse("dashboard")
    assert landed.status_code == 200
    page = landed.content.decode()
    assert "Aurora visible project" in page
    assert "Borealis hidden project" not in page
    user = logged_in_user(client)
    assert user == world.viewer_a
    assert (user.client, user.role, user.is_staff, user.is_superuser) == (
        world.client_a,
        Role.CLIENT_VIEWER,
        False,
        False,
    )
    assert client.get(reverse("portfolio")).status_code == 404  # leadership's page: still a client viewer
    assert client.get("/admin/").status_code == 302  # not staff
    assert client.get(reverse("project-detail", args=[world.project_b.pk])).status_code == 404
    identity = SsoIdentity.objects.get()
    assert (identity.provider, identity.user, identity.subject) == (sso["aurora"], world.viewer_a, "aurora|vera")
    login = SecurityEvent.objects.get(kind=SecurityEventKind.LOGIN)
    assert login.user == world.viewer_a
    assert login.detail == {"method": "sso", "client": "aurora-test"}
    assert idp.token_requests[-1]["code_verifier"]  # PKCE: the verifier went to the token endpoint


def test_the_next_sign_in_goes_by_the_bound_subject_not_by_the_email(world, sso, idp, client):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    sign_in(client, "vera@aurora.example")
    client.logout()
    # The provider now sends another address (renamed, not verified): the subject alone identifies her.
    idp.sign_in_as("aurora|vera", email="v.new@aurora.example", email_verified=False)
    response = sign_in(client, "vera@aurora.example")
    assert response.status_code == 302
    assert logged_in_user(client) == world.viewer_a
    assert SsoIdentity.objects.get().last_login_at is not None


def test_an_unknown_person_whose_claims_name_a_client_and_a_staff_role_gets_nothing(world, sso, idp, client):
    users = User.objects.count()
    idp.sign_in_as(
        "aurora|newcomer", email="newcomer@aurora.example", client="aurora-test", role="admin", groups=["staff"]
    )
    response = sign_in(client, "newcomer@aurora.example")
    assert response.status_code == 403
    assert says(response, services.NO_ACCOUNT)
    assert logged_in_user(client) is None
    assert User.objects.count() == users
    assert not SsoIdentity.objects.exists()
    [failed] = failures()
    assert failed.username == "newcomer@aurora.example"
    assert failed.detail["method"] == "sso"
    assert failed.detail["client"] == "aurora-test"


def test_a_claim_naming_another_clients_user_grants_nothing(world, sso, idp, client):
    """Aurora's provider vouches for Borealis's user's address: Borealis's user is not Aurora's to sign in."""
    idp.sign_in_as("aurora|bert", email="bert@borealis.example", client="borealis-secret", role="client_approver")
    response = sign_in(client, "someone@aurora.example")
    assert response.status_code == 403
    assert logged_in_user(client) is None
    assert not SsoIdentity.objects.exists()
    # Even with the address inside Aurora's domain, a Borealis user is never matched through Aurora's provider.
    User.objects.filter(pk=world.viewer_b.pk).update(email="bert@aurora.example")
    idp.sign_in_as("aurora|bert", email="bert@aurora.example")
    assert sign_in(client, "bert@aurora.example").status_code == 403
    assert logged_in_user(client) is None
    assert not SsoIdentity.objects.exists()


def test_the_provider_of_client_b_cannot_sign_in_a_user_of_client_a(world, sso, idp, client):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    sign_in(client, "vera@aurora.example")  # bound at Aurora's provider
    client.logout()
    # Borealis's registration asserts the same subject and Vera's address.
    response = sign_in(client, "anyone@borealis.example")
    assert response.status_code == 403
    assert logged_in_user(client) is None
    assert SsoIdentity.objects.count() == 1
    assert failures()[-1].detail["client"] == "borealis-secret"


def test_an_account_moved_to_another_client_no_longer_signs_in_through_the_old_provider(world, sso, idp, client):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    sign_in(client, "vera@aurora.example")
    client.logout()
    User.objects.filter(pk=world.viewer_a.pk).update(client=world.client_b)
    assert sign_in(client, "vera@aurora.example").status_code == 403
    assert logged_in_user(client) is None


def test_staff_accounts_are_never_signed_in_by_a_clients_provider(world, sso, idp, client):
    User.objects.filter(pk=world.pm.pk).update(email="pm@aurora.example")
    idp.sign_in_as("aurora|pm", email="pm@aurora.example")
    assert sign_in(client, "pm@aurora.example").status_code == 403
    assert logged_in_user(client) is None


@pytest.mark.parametrize("bound_first", [False, True], ids=["first sign-in", "bound"])
def test_an_inactive_user_is_refused(world, sso, idp, client, bound_first):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    if bound_first:
        sign_in(client, "vera@aurora.example")
        client.logout()
    User.objects.filter(pk=world.viewer_a.pk).update(is_active=False)
    response = sign_in(client, "vera@aurora.example")
    assert response.status_code == 403
    assert says(response, services.INACTIVE)
    assert logged_in_user(client) is None


def test_an_unverified_email_binds_nobody(world, sso, idp, client):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example", email_verified=False)
    response = sign_in(client, "vera@aurora.example")
    assert response.status_code == 403
    assert says(response, services.UNVERIFIED)
    assert not SsoIdentity.objects.exists()


def test_a_second_subject_for_a_bound_user_is_refused(world, sso, idp, client):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    sign_in(client, "vera@aurora.example")
    client.logout()
    idp.sign_in_as("aurora|impostor", email="vera@aurora.example")
    response = sign_in(client, "vera@aurora.example")
    assert response.status_code == 403
    assert says(response, services.OTHER_SUBJECT)
    assert logged_in_user(client) is None


# --- A forged or altered answer is refused ------------------------------------------------------------------------


def test_a_tampered_state_is_refused(world, sso, idp, client):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    back = at_provider(start(client, "vera@aurora.example"))
    state = parse_qs(urlsplit(back).query)["state"][0]
    response = client.get(back.replace(f"state={state}", "state=forged"))
    assert response.status_code == 400
    assert says(response, views.FAILED)
    assert logged_in_user(client) is None
    assert client.get(back).status_code == 400  # the flow was used up by the failed attempt
    assert logged_in_user(client) is None


def test_a_callback_for_another_browsers_flow_is_refused(world, sso, idp, client):
    from django.test import Client

    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    back = at_provider(start(client, "vera@aurora.example"))
    attacker = Client()
    response = attacker.get(back)
    assert response.status_code == 400
    assert attacker.session.get(SESSION_KEY) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": "not-the-one-sent"},
        {"nonce": REMOVE},
        {"aud": "someone-elses-client"},
        {"aud": "someone-elses-client", "azp": "portal-aurora"},
        {"azp": "someone-elses-client"},
        {"iss": "https://idp.attacker.example"},
        {"exp": 1_000_000_000},
        {"sub": REMOVE},
    ],
    ids=[
        "wrong nonce",
        "no nonce",
        "wrong audience",
        "wrong audience, portal as azp",
        "another authorized party",
        "wrong issuer",
        "expired",
        "no subject",
    ],
)
def test_an_altered_id_token_is_refused(world, sso, idp, client, changes):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    idp.id_token_changes = changes
    response = sign_in(client, "vera@aurora.example")
    assert response.status_code == 403
    assert says(response, views.FAILED)
    assert logged_in_user(client) is None
    assert not SsoIdentity.objects.exists()
    assert failures()[-1].detail["method"] == "sso"


@pytest.mark.parametrize("same_kid", [True, False], ids=["same key id", "unknown key id"])
def test_a_token_signed_by_another_key_is_refused(world, sso, idp, client, same_kid):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    idp.signing_key = new_key(idp.key.kid if same_kid else "attacker-key")
    response = sign_in(client, "vera@aurora.example")
    assert response.status_code == 403
    assert says(response, views.FAILED)
    assert logged_in_user(client) is None


def test_a_provider_error_answer_is_refused_cleanly(world, sso, idp, client):
    idp.user = None  # the person cancelled at the provider: error=access_denied
    response = sign_in(client, "vera@aurora.example")
    assert response.status_code == 403
    assert says(response, views.FAILED)
    assert logged_in_user(client) is None


# --- Starting: by e-mail domain, without revealing who uses single sign-on -----------------------------------------


def test_an_unknown_domain_is_told_to_use_the_password_and_no_client_is_named(world, sso, client):
    page = client.get(reverse("sso-start"))
    assert page.status_code == 200
    response = client.post(reverse("sso-start"), {"email": "someone@elsewhere.example"})
    assert response.status_code == 400
    html = response.content.decode()
    assert says(response, views.NO_PROVIDER)
    for text in (page.content.decode(), html):
        assert "Aurora" not in text
        assert "Borealis" not in text


@pytest.mark.parametrize("case", ["inactive provider", "inactive client"])
def test_an_inactive_provider_or_client_is_not_offered(world, sso, client, case):
    if case == "inactive provider":
        OidcProvider.objects.filter(pk=sso["aurora"].pk).update(active=False)
    else:
        type(world.client_a).objects.filter(pk=world.client_a.pk).update(active=False)
    response = client.post(reverse("sso-start"), {"email": "vera@aurora.example"})
    assert response.status_code == 400
    assert says(response, views.NO_PROVIDER)


def test_a_bad_email_is_a_form_error(world, sso, client):
    response = client.post(reverse("sso-start"), {"email": "not an address"})
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()


def test_an_unreachable_provider_is_a_clear_message_not_a_500(world, sso, client):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    OidcProvider.objects.filter(pk=sso["aurora"].pk).update(issuer=f"http://127.0.0.1:{port}")
    response = client.post(reverse("sso-start"), {"email": "vera@aurora.example"})
    assert response.status_code == 502
    assert says(response, views.UNAVAILABLE)


def test_plain_http_providers_are_refused_outside_the_tests(world, sso, client, settings):
    settings.SSO_ALLOW_INSECURE_LOOPBACK = False
    response = client.post(reverse("sso-start"), {"email": "vera@aurora.example"})
    assert response.status_code == 502
    assert says(response, views.UNAVAILABLE)


def test_next_is_honoured_on_this_site_only(world, sso, idp, client):
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    target = reverse("project-detail", args=[world.project_a.pk])
    assert sign_in(client, "vera@aurora.example", next=target)["Location"] == target
    client.logout()
    assert sign_in(client, "vera@aurora.example", next="https://evil.example/")["Location"] == reverse("home")


def test_the_portals_two_factor_still_applies_after_single_sign_on(world, sso, idp, client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=world.viewer_a, name="Authenticator app", confirmed=True)
    idp.sign_in_as("aurora|vera", email="vera@aurora.example")
    sign_in(client, "vera@aurora.example")
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two-factor-verify"))


def test_the_login_page_offers_single_sign_on(client):
    html = client.get(reverse("login")).content.decode()
    assert reverse("sso-start") in html


# --- The administrator's side -------------------------------------------------------------------------------------


def test_the_admin_never_shows_the_client_secret_and_keeps_it_when_left_empty(world, sso, client):
    client.force_login(world.admin)
    url = reverse("admin:sso_oidcprovider_change", args=[sso["aurora"].pk])
    html = client.get(url).content.decode()
    assert "aurora-secret-0001" not in html
    assert "…0001" in html
    history = sso["aurora"].pgh_event_model.objects.filter(pgh_obj_id=sso["aurora"].pk)
    assert all(not hasattr(event, "oidc_client_secret") for event in history)


def test_the_admin_refuses_a_plain_http_issuer_in_production(world, client, settings):
    settings.SSO_ALLOW_INSECURE_LOOPBACK = False
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:sso_oidcprovider_add"),
        {
            "client": world.client_a.pk,
            "issuer": "http://login.aurora.example",
            "oidc_client_id": "portal",
            "oidc_client_secret": "s3cret",
            "active": "on",
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
            "identities-TOTAL_FORMS": "0",
            "identities-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "The issuer must be an https URL." in response.content.decode()
    assert not OidcProvider.objects.exists()
