"""Passkeys (WebAuthn) as a second factor, through django-otp-webauthn (issue 15; docs/decisions.md).

A passkey never replaces the password: the login's first step stays the password, and a user with a passkey then
confirms it with the device (fingerprint, face, PIN or security key) instead of typing an authenticator code
(``clients.two_factor``: a passkey counts as a second factor for the per-role requirement too). The API token
endpoint cannot run a WebAuthn ceremony: it keeps asking for an authenticator or recovery code.

The library gives the credential model, the WebAuthn checks (py_webauthn) and its browser scripts, served from
static under the portal's Content-Security-Policy (``script-src 'self'``, no inline script): ``static/js/passkeys.js``
hands them their configuration (with this page's CSRF token) and their messages in the page's language, both read
from a JSON data block (``json_script``), which is no script. Its views run here behind one route, ``passkey``,
whose ``step`` is one of ``CEREMONIES``; they are the library's, with the portal's rules:

- registering needs a logged-in session that passed its second factor (or that is sent to set one up: the
  "enrol" step); the relying party is ``WEBAUTHN_RP_ID`` (a domain; empty: the host the page was asked for, which
  ALLOWED_HOSTS vetted) and the origin the browser reports must be the request's own;
- verifying is only the second step of a password login (``two_factor.VERIFY``): never a login without the password;
- a new passkey, a removed one and every passkey check at login are security events, as the authenticator's are.
"""

import ipaddress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.http.request import split_domain_port
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
    _get_pywebauthn_logger,
)

from clients import two_factor
from clients.models import SecurityEventKind
from clients.passkey_forms import NAME_MAX_LENGTH, PasskeyNameForm
from clients.security import security_event_record

DEFAULT_NAME = gettext_lazy("Passkey")
#: The passkey just made in this session, waiting for the name the user typed (set by "register-complete").
TO_NAME_SESSION = "two_factor_passkey_to_name"

# --- The relying party ---------------------------------------------------------------------------------------------


def _request_host(request: HttpRequest) -> str:
    return split_domain_port(request.get_host())[0]


def rp_id(request: HttpRequest) -> str:
    """The relying party ID passkeys are bound to: WEBAUTHN_RP_ID, else the host of this request (no port)."""
    return settings.WEBAUTHN_RP_ID or _request_host(request)


def passkeys_possible(request: HttpRequest) -> bool:
    """Browsers make and use passkeys only for a domain name (never an IP address), over HTTPS or on localhost."""
    try:
        ipaddress.ip_address(rp_id(request).strip("[]"))
    except ValueError:
        pass
    else:
        return False
    host = _request_host(request)
    return request.is_secure() or host == "localhost" or host.endswith(".localhost")


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's helper with the portal's relying party (OTP_WEBAUTHN_HELPER_CLASS)."""

    def get_allowed_origins(self) -> list[str]:
        # The request's own origin (scheme, vetted host, port): a page on any other origin cannot use the answer.
        return [self.request.build_absolute_uri("/").rstrip("/")]

    def get_credential_display_name(self, user: AbstractBaseUser) -> str:
        return f"{user.display_name} ({user.get_username()})"

    def create_credential(self, user, response, parsed_credential, original_data):
        credential = super().create_credential(user, response, parsed_credential, original_data)
        credential.name = str(DEFAULT_NAME)
        return credential


# --- The ceremonies (django-otp-webauthn's views, with the portal's rules) -----------------------------------------

#: The library's errors in the portal's words (and in the user's language), by error code.
ERROR_TEXT = {
    "not_authenticated": gettext_lazy("Log in with your password first."),
    "user_not_verified": gettext_lazy(
        "Confirm your second factor first (log out and in again): only then can you add a passkey."
    ),
    "invalid_state": gettext_lazy("This passkey request expired or was already used: try again."),
    "credential_not_found": gettext_lazy("This passkey is not known here (it may have been removed)."),
    "credential_user_mismatch": gettext_lazy("This passkey belongs to another account."),
    "credential_disabled": gettext_lazy("This passkey is not active."),
    "user_disabled": gettext_lazy("This account is deactivated."),
    "nothing_to_verify": gettext_lazy("No login is waiting for a second factor in this session."),
}
GENERIC_ERROR = gettext_lazy("The passkey could not be checked: try again. Nothing was changed.")


class NothingToVerify(webauthn_errors.OTPWebAuthnApiError):
    status_code = 403
    default_code = "nothing_to_verify"


class _PortalCeremony:
    """JSON bodies must be objects; errors answer in the portal's words."""

    def _parse_request_data(self, request):
        data = super()._parse_request_data(request)
        if not hasattr(data, "get"):
            raise webauthn_errors.MalformedRequest()
        return data

    def handle_exception(self, exc):
        if isinstance(exc, webauthn_errors.OTPWebAuthnApiError):
            text = ERROR_TEXT.get(exc.code, GENERIC_ERROR)
            return JsonResponse({"detail": str(text), "code": exc.code}, status=exc.status_code)
        raise exc


class _RegistrationRules:
    """Registering a passkey needs a session that passed its second factor, when the user already has one."""

    def _check_user_verified(self, user) -> None:
        if two_factor.has_second_factor(user) and not two_factor.is_verified(self.request):
            raise webauthn_errors.NotVerified()


class RegisterBegin(_PortalCeremony, _RegistrationRules, BeginCredentialRegistrationView):
    pass


class RegisterComplete(_PortalCeremony, _RegistrationRules, CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        user = self.get_user()
        state = self.get_state()
        helper = self.get_helper()
        with rewrite_exceptions(logger=_get_pywebauthn_logger()):
            credential = helper.register_complete(user=user, state=state, data=self.request.data)
        passkey_added(request=self.request, user=user, passkey=credential)
        return JsonResponse({"id": credential.pk})


class _VerificationRules:
    """Only the second step of a password login, in the session that gave the password."""

    def check_can_authenticate(self) -> None:
        request = self.request
        if not request.user.is_authenticated:
            raise webauthn_errors.NotAuthenticated()
        if two_factor.pending_step(request) != two_factor.VERIFY:
            raise NothingToVerify()


class VerifyBegin(_PortalCeremony, _VerificationRules, BeginCredentialAuthenticationView):
    pass


class VerifyComplete(_PortalCeremony, _VerificationRules, CompleteCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        user = self.get_user()
        try:
            state = self.get_state()
            with rewrite_exceptions(logger=_get_pywebauthn_logger()):
                credential = self.get_helper().authenticate_complete(user=user, state=state, data=self.request.data)
            self.check_device_usable(credential)
        except webauthn_errors.OTPWebAuthnApiError as error:
            security_event_record(
                kind=SecurityEventKind.TWO_FACTOR_FAILED,
                request=self.request,
                user=user,
                method="passkey",
                error=error.code,
            )
            raise
        passkey_verified(request=self.request, user=user, passkey=credential)
        return JsonResponse({"id": credential.pk, "redirect_url": self.get_success_url()})

    def get_success_url(self) -> str:
        target = self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, {self.request.get_host()}, self.request.is_secure()):
            return target
        return resolve_url(settings.LOGIN_REDIRECT_URL)


CEREMONIES = {
    "register-begin": RegisterBegin.as_view(),
    "register-complete": RegisterComplete.as_view(),
    "verify-begin": VerifyBegin.as_view(),
    "verify-complete": VerifyComplete.as_view(),
}


@require_POST
def passkey_ceremony(request, step: str):
    """One step of registering a passkey or of using it at login (called by django-otp-webauthn's scripts)."""
    view = CEREMONIES.get(step)
    if view is None:
        raise Http404
    return view(request)


# --- Services ------------------------------------------------------------------------------------------------------


@transaction.atomic
def passkey_added(*, request, user, passkey: WebAuthnCredential) -> None:
    """A passkey the browser just made and the library checked: the user's second factor from now on. A session
    that was sent to set one up has it now (and counts as verified, as after enrolling an authenticator)."""
    if not two_factor.is_verified(request):
        otp_login(request, passkey)
    request.session.pop(two_factor.SESSION_KEY, None)
    request.session[TO_NAME_SESSION] = passkey.pk
    security_event_record(
        kind=SecurityEventKind.TWO_FACTOR_ENABLED, request=request, user=user, method="passkey", passkey_id=passkey.pk
    )


def passkey_verified(*, request, user, passkey: WebAuthnCredential) -> None:
    """The login's second step, by passkey: the session's login is complete."""
    request.session.pop(two_factor.SESSION_KEY, None)
    otp_login(request, passkey)
    security_event_record(
        kind=SecurityEventKind.TWO_FACTOR_VERIFIED, request=request, user=user, method="passkey", passkey_id=passkey.pk
    )


def passkey_for(user, passkey_id) -> WebAuthnCredential:
    """One of the user's own passkeys by id; anything else (another user's, unknown, not a number) is a 404."""
    try:
        pk = int(str(passkey_id))
    except ValueError:
        raise Http404 from None
    passkey = two_factor.passkeys_of(user).filter(pk=pk).first()
    if passkey is None:
        raise Http404
    return passkey


def passkey_name(*, request, user, passkey: WebAuthnCredential, name: str) -> bool:
    """Name the passkey this session just made (once). False when it is not that one: nothing changes."""
    if request.session.get(TO_NAME_SESSION) != passkey.pk:
        return False
    passkey.name = name
    passkey.save(update_fields=["name"])
    request.session.pop(TO_NAME_SESSION, None)
    return True


@transaction.atomic
def passkey_remove(*, request, user, passkey: WebAuthnCredential) -> str:
    """Remove one of the user's passkeys (the password was re-entered). Refused (the reason returned) when the role
    requires two-factor and it is the last second factor. Without any second factor left the recovery codes go too."""
    others = two_factor.passkeys_of(user).exclude(pk=passkey.pk).exists()
    if two_factor.role_requires_two_factor(user) and not others and two_factor.confirmed_totp(user) is None:
        return _(
            "Your role requires two-factor authentication: keep this passkey until you have set up another one "
            "or an authenticator app."
        )
    name, pk = passkey.name, passkey.pk
    passkey.delete()
    if not others and two_factor.confirmed_totp(user) is None:
        StaticDevice.objects.filter(user=user).delete()
    security_event_record(
        kind=SecurityEventKind.TWO_FACTOR_DISABLED,
        request=request,
        user=user,
        method="passkey",
        passkey_id=pk,
        passkey=name,
    )
    return ""


# --- The page's part -----------------------------------------------------------------------------------------------

#: django-otp-webauthn's browser messages (its scripts call ``gettext`` with these), in the portal's words.
SCRIPT_MESSAGES = {
    "Register a Passkey": gettext_lazy("Add a passkey"),
    "Registering...": gettext_lazy("Waiting for your device …"),
    "Finishing registration...": gettext_lazy("Saving the passkey …"),
    "Registration aborted.": gettext_lazy("Cancelled: no passkey was added."),
    "Registration aborted or not allowed.": gettext_lazy("Cancelled or not allowed: no passkey was added."),
    "Registration failed. You most likely already have a Passkey registered for this site.": gettext_lazy(
        "This device already holds a passkey for your account here."
    ),
    "Registration failed. A technical problem occurred that prevents you from registering a Passkey for this site.": (
        gettext_lazy("This browser cannot make a passkey for this address (it needs HTTPS and the portal's name).")
    ),
    "Registration failed. An unknown error occurred.": gettext_lazy("No passkey was added: an unknown error occurred."),
    "Registration failed. Unable to fetch registration options from server.": gettext_lazy(
        "No passkey was added: the portal could not be reached."
    ),
    "Registration failed. The server was unable to verify this passkey.": gettext_lazy(
        "No passkey was added: the portal could not verify it."
    ),
    "Registration failed. A server error occurred.": gettext_lazy("No passkey was added: the portal had an error."),
    "An error occurred during registration.": gettext_lazy("No passkey was added: an error occurred."),
    "Registration successful!": gettext_lazy("Passkey added."),
    "Verify with Passkey": gettext_lazy("Use your passkey"),
    "Verifying...": gettext_lazy("Waiting for your device …"),
    "Finishing verification...": gettext_lazy("Checking the passkey …"),
    "Verification aborted.": gettext_lazy("Cancelled: you are not logged in yet."),
    "Verification canceled or not allowed.": gettext_lazy("Cancelled or not allowed: you are not logged in yet."),
    "Verification failed. Could not retrieve parameters from the server.": gettext_lazy(
        "The portal could not be reached: try again."
    ),
    "Verification failed. An unknown error occurred.": gettext_lazy("The passkey check failed: try again."),
    "Verification failed. An unknown server error occurred.": gettext_lazy("The portal had an error: try again."),
    "Verification failed. A server error occurred.": gettext_lazy("The portal had an error: try again."),
    "An error occurred during verification.": gettext_lazy("The passkey check failed: try again."),
    "Verification successful!": gettext_lazy("Passkey confirmed."),
}


def script_data(request) -> dict:
    """What static/js/passkeys.js hands django-otp-webauthn's scripts (no secret: the CSRF token is read from the
    page's form by the script)."""
    get_token(request)  # the page carries a CSRF token (and its cookie) for the scripts' requests
    return {
        "config": {
            "beginRegistrationUrl": reverse("passkey", kwargs={"step": "register-begin"}),
            "completeRegistrationUrl": reverse("passkey", kwargs={"step": "register-complete"}),
            "beginAuthenticationUrl": reverse("passkey", kwargs={"step": "verify-begin"}),
            "completeAuthenticationUrl": reverse("passkey", kwargs={"step": "verify-complete"}),
            "autocompleteLoginFieldSelector": None,
            "nextFieldSelector": "input[name='next']",
        },
        "messages": {key: str(text) for key, text in SCRIPT_MESSAGES.items()},
    }


def passkey_name_post(request, user) -> tuple[bool, list[str] | None]:
    """The two-factor page's "passkey-name" action: the name typed for the passkey just made. A user who has no
    recovery codes yet gets them now (returned, to show once), as with an authenticator app."""
    form = PasskeyNameForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Give the passkey a name of up to %(max)s characters: it was added as “%(default)s”.")
            % {"max": NAME_MAX_LENGTH, "default": DEFAULT_NAME},
        )
        return False, None
    passkey = passkey_for(user, form.cleaned_data["passkey"])
    if not passkey_name(request=request, user=user, passkey=passkey, name=form.cleaned_data["name"]):
        messages.error(request, _("Only a passkey just added can be named: nothing was changed."))
        return False, None
    messages.success(request, _("The passkey “%(name)s” was added.") % {"name": passkey.name})
    if two_factor.recovery_codes_left(user) == 0:
        return True, two_factor.recovery_codes_renew(request=request, user=user)
    return True, None


def settings_context(request) -> dict:
    """The two-factor page's passkey panel: the user's passkeys and what the scripts need."""
    return {
        "passkeys": list(two_factor.passkeys_of(request.user)),
        "passkeys_possible": passkeys_possible(request),
        "passkey_data": script_data(request),
        "passkey_name_max": NAME_MAX_LENGTH,
    }


def verify_context(request) -> dict:
    """The login's second step: a passkey button when the user has one, the code form when a code can work."""
    user = request.user
    return {
        "has_passkey": two_factor.has_passkey(user),
        "has_codes": two_factor.confirmed_totp(user) is not None or two_factor.recovery_codes_left(user) > 0,
        "passkeys_possible": passkeys_possible(request),
        "passkey_data": script_data(request),
    }
