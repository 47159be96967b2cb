"""Recording security events (logins, lockouts, tokens, failed signatures, exports) in the protected trail."""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from clients.models import SecurityEvent, SecurityEventKind
from core.audit import audit_context, channel_for_path

logger = logging.getLogger(__name__)


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def security_event_record(*, kind: str, request=None, user=None, username: str = "", **detail) -> SecurityEvent:
    """Append one security event; never raises into the caller's flow (a login must not fail on it)."""
    name = username or (user.get_username() if user is not None else "")
    known = user if user is not None and user.pk else None
    # Reads carry no audit context (PGHISTORY_MIDDLEWARE_METHODS): an event written while reading (an export)
    # says who and through which channel itself.
    channel = channel_for_path(request.path) if request is not None else None
    with audit_context(actor=known, channel=channel):
        return SecurityEvent.objects.create(
            kind=kind,
            user=known,
            username=name[:150],
            printed_name=(user.display_name if known else "")[:200],
            ip_address=_ip(request),
            detail=detail,
        )


def _logged_in(sender, request, user, **kwargs) -> None:
    # How, when not by password: single sign-on sets request.login_detail ({"method": "sso", "client": ...}).
    detail = getattr(request, "login_detail", None) or {}
    security_event_record(kind=SecurityEventKind.LOGIN, request=request, user=user, **detail)


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        security_event_record(kind=SecurityEventKind.LOGOUT, request=request, user=user)


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED, request=request, username=str(credentials.get("username", ""))
    )


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    security_event_record(kind=SecurityEventKind.LOCKED_OUT, request=request, username=username or "")


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="security-login")
    user_logged_out.connect(_logged_out, dispatch_uid="security-logout")
    user_login_failed.connect(_login_failed, dispatch_uid="security-login-failed")
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="security-locked-out")
