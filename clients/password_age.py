"""Password ageing: with ``PASSWORD_MAX_AGE_DAYS`` set, an older password must be changed before anything else.

Off by default (0): many customers follow NIST SP 800-63B, which advises against periodic changes; a customer whose
SOP requires ageing (21 CFR 11.300(b) "periodically checked, recalled, or revised") sets the number of days.
A session user with an expired password reaches only the password change page and logout (pages redirect there,
the API answers 403 with the reason); an API token of such a user is refused (``clients.tokens``).
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from clients import two_factor

# The two-factor pages too: a login waiting for its second factor finishes it first (clients.two_factor).
ALLOWED_URL_NAMES = ("password_change", "password_change_done", "logout", "two-factor-verify", "two-factor")


def password_expired(user) -> bool:
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days or not getattr(user, "is_authenticated", False):
        return False
    changed_at = user.password_changed_at or user.date_joined
    return timezone.now() - changed_at > dt.timedelta(days=days)


def expired_message() -> str:
    days = settings.PASSWORD_MAX_AGE_DAYS
    return ngettext(
        "Your password is older than %(days)d day: choose a new one to go on.",
        "Your password is older than %(days)d days: choose a new one to go on.",
        days,
    ) % {"days": days}


class PasswordAgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and password_expired(user):
            allowed = {reverse(name) for name in ALLOWED_URL_NAMES}
            allowed |= two_factor.passkey_ceremony_paths(two_factor.pending_step(request))
            if request.path not in allowed and not request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": expired_message()}, status=403)
                messages.warning(request, expired_message())
                return redirect("password_change")
        return self.get_response(request)
