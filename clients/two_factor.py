"""Two-factor login (issue 15): a TOTP authenticator app, passkeys (WebAuthn, ``clients.passkeys``), ten
single-use recovery codes, and a per-role requirement.

A correct password logs the user in as Django always did; when the user has a confirmed authenticator or a passkey,
or their role requires a second factor (``SecurityPolicy``), the login marks the session as waiting for it
(``SESSION_KEY``: "verify" or "enrol"). ``TwoFactorMiddleware`` then lets that session reach only the step's page,
the step's passkey ceremony and logout: pages redirect there, the API answers 403. The mark is set at login, so a
request costs no query.
API tokens: ``POST /api/v1/auth/token/`` asks a user with a second factor for a code too (``otp``: the
authenticator's or a recovery code; a passkey cannot be checked there), and refuses a user whose role requires one
and who has none; a token issued is then used without a code, as before.
E-signatures are not touched: signing re-enters the password (21 CFR 11.200), on top of the second factor.
"""

import datetime as dt
from base64 import b32encode
from binascii import unhexlify
from io import BytesIO
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from django_otp_webauthn.models import WebAuthnCredential

from clients.models import SecurityEventKind, SecurityPolicy
from clients.security import security_event_record

SESSION_KEY = "two_factor_step"
VERIFY, ENROL = "verify", "enrol"
PENDING_KEY_SESSION = "two_factor_pending_key"
RECOVERY_CODE_COUNT = 10
STEP_PAGES = {VERIFY: "two-factor-verify", ENROL: "two-factor"}
# The passkey ceremonies a session waiting for its second factor may run (the ``passkey`` route's steps).
STEP_PASSKEY_CEREMONIES = {VERIFY: ("verify-begin", "verify-complete"), ENROL: ("register-begin", "register-complete")}
VERIFY_MESSAGE = gettext_lazy("Finish logging in with your second factor: your passkey or an authenticator code.")
ENROL_MESSAGE = gettext_lazy(
    "Your role requires two-factor authentication: set up an authenticator app or a passkey to go on."
)
WRONG_CODE = gettext_lazy("That code is not right (or was already used). Nothing was changed.")
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


# --- Who needs what ------------------------------------------------------------------------------------------------


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def passkeys_of(user):
    """The user's passkeys, the most recently added first."""
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("-created_at", "-pk")


def has_passkey(user) -> bool:
    return passkeys_of(user).exists()


def has_second_factor(user) -> bool:
    """An authenticator app or a passkey (recovery codes alone are no second factor: they come with one)."""
    return confirmed_totp(user) is not None or has_passkey(user)


def is_verified(request) -> bool:
    """This session passed a second factor (at login, or by setting one up)."""
    return DEVICE_ID_SESSION_KEY in request.session


def role_requires_two_factor(user) -> bool:
    return SecurityPolicy.current().requires_two_factor(user.role)


def login_step(user) -> str | None:
    """What a password login still needs: a second factor ("verify"), one set up first ("enrol"), or nothing."""
    if has_second_factor(user):
        return VERIFY
    if role_requires_two_factor(user):
        return ENROL
    return None


def pending_step(request) -> str | None:
    session = getattr(request, "session", None)
    return session.get(SESSION_KEY) if session is not None else None


def _mark_login(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    step = login_step(user)
    if step:
        request.session[SESSION_KEY] = step
    else:
        request.session.pop(SESSION_KEY, None)


def passkey_ceremony_paths(step: str | None) -> set[str]:
    """The passkey ceremony a session waiting for its second factor may run (none when nothing waits)."""
    return {reverse("passkey", kwargs={"step": name}) for name in STEP_PASSKEY_CEREMONIES.get(step or "", ())}


def connect() -> None:
    user_logged_in.connect(_mark_login, dispatch_uid="two-factor-login-step")


class TwoFactorMiddleware:
    """A session waiting for its second factor reaches only that step's page and logout (and static files)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = pending_step(request)
        if step and getattr(request, "user", None) is not None and request.user.is_authenticated:
            page = reverse(STEP_PAGES[step])
            allowed = {page, reverse("logout"), *passkey_ceremony_paths(step)}
            static = "/" + settings.STATIC_URL.lstrip("/")
            if request.path not in allowed and not request.path.startswith(static):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": VERIFY_MESSAGE if step == VERIFY else ENROL_MESSAGE}, status=403)
                messages.info(request, VERIFY_MESSAGE if step == VERIFY else ENROL_MESSAGE)
                target = page
                if request.method in ("GET", "HEAD"):
                    target += "?next=" + quote(request.get_full_path())
                return redirect(target)
        return self.get_response(request)


# --- Codes ---------------------------------------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _throttled_until(device) -> dt.datetime | None:
    allowed, data = device.verify_is_allowed()
    return None if allowed else (data or {}).get("locked_until")


def _code_check(*, request, user, code: str):
    """(device, "") when ``code`` is the authenticator's current code or one unused recovery code (used up now);
    (None, why) otherwise. Wrong codes throttle the device (django-otp: 1 s, 2 s, 4 s ... between tries) and are
    security events."""
    code = normalise_code(code)
    if not code:
        return None, _("Enter the 6-digit code from your authenticator app, or a recovery code.")
    device_class = TOTPDevice if code.isdigit() else StaticDevice
    with transaction.atomic():
        device = device_class.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            ok = False
        else:
            until = _throttled_until(device)
            if until is not None:
                wait = max(1, int((until - timezone.now()).total_seconds()) + 1)
                return None, _("Too many wrong codes: wait %(seconds)s seconds and try again.") % {"seconds": wait}
            ok = device.verify_token(code)
    method = "recovery_code" if device_class is StaticDevice else "totp"
    if not ok:
        security_event_record(kind=SecurityEventKind.TWO_FACTOR_FAILED, request=request, user=user, method=method)
        return None, WRONG_CODE
    detail: dict[str, object] = {"method": method}
    if device_class is StaticDevice:
        detail["recovery_codes_left"] = device.token_set.count()
    security_event_record(kind=SecurityEventKind.TWO_FACTOR_VERIFIED, request=request, user=user, **detail)
    return device, ""


def code_verify(*, request, user, code: str) -> tuple[bool, str]:
    """The login's second step: a right code completes the session's login. Returns (ok, message)."""
    device, message = _code_check(request=request, user=user, code=code)
    if device is None:
        return False, message
    request.session.pop(SESSION_KEY, None)
    otp_login(request, device)
    return True, ""


def api_code_check(*, request, user, code: str) -> str | None:
    """The token endpoint's second factor: None when the user may have a token, else why not."""
    step = login_step(user)
    if step == ENROL:
        return _("Your role requires two-factor authentication: set it up in the portal first.")
    if step == VERIFY:
        if confirmed_totp(user) is None and recovery_codes_left(user) == 0:
            return _(
                "This account's second factor is a passkey, which the API cannot check: set up an authenticator "
                "app or recovery codes in the portal to get a token."
            )
        if not code:
            return _("This account uses two-factor authentication: send the current code as 'otp'.")
        device, message = _code_check(request=request, user=user, code=code)
        return None if device is not None else message
    return None


# --- Enrolment, recovery codes, removal ---------------------------------------------------------------------------


def pending_key(request) -> str:
    """The secret offered for enrolment, kept in the session (nothing is written until a code confirms it)."""
    key = request.session.get(PENDING_KEY_SESSION)
    if not key:
        key = default_key()
        request.session[PENDING_KEY_SESSION] = key
    return key


def provisioning_uri(user, key: str) -> str:
    return TOTPDevice(user=user, key=key, name=TOTP_DEVICE_NAME).config_url


def secret_text(key: str) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    text = b32encode(unhexlify(key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code (no image library, no request to anyone)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    buffer = BytesIO()
    qrcode.make(uri, image_factory=SvgPathImage, box_size=8, border=2).save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_enrol(*, request, user, key: str, code: str) -> list[str] | None:
    """Confirm the authenticator whose secret the user was shown with its current code; replaces any earlier one
    and issues fresh recovery codes (returned once, to show). None when the code is wrong: nothing written."""
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    code = normalise_code(code)
    if not code.isdigit() or not totp.verify(int(code), tolerance=1):
        return None
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True, last_t=totp.t())
    codes = _new_recovery_codes(user)
    request.session.pop(PENDING_KEY_SESSION, None)
    request.session.pop(SESSION_KEY, None)
    otp_login(request, device)
    security_event_record(kind=SecurityEventKind.TWO_FACTOR_ENABLED, request=request, user=user)
    return codes


@transaction.atomic
def recovery_codes_renew(*, request, user) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    codes = _new_recovery_codes(user)
    security_event_record(kind=SecurityEventKind.RECOVERY_CODES_NEW, request=request, user=user)
    return codes


@transaction.atomic
def two_factor_disable(*, request, user, by=None) -> None:
    """Remove the authenticator, the passkeys and the recovery codes (the user's own choice, or an administrator's
    for a lost phone: ``by``). A role that requires two-factor is sent to enrol again at the next login."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    if request is not None and getattr(request, "user", None) == user:
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
    detail = {"by": by.get_username()} if by is not None else {}
    security_event_record(kind=SecurityEventKind.TWO_FACTOR_DISABLED, request=request, user=user, **detail)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
