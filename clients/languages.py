"""The language a page is shown in (issue 15): the logged-in user's choice, else the browser's.

Django's ``LocaleMiddleware`` (after the session) picks the language from the language cookie or the browser's
Accept-Language, falling back to English; this middleware, after authentication, replaces it with the user's own
choice (``User.language``) when there is one, so a user reads the portal in the same language on every device.
E-mails and PDFs built outside a request use ``language_of(user)`` with ``translation.override``.
"""

from django.conf import settings
from django.utils import translation

from core.languages import LANGUAGE_CODES


def language_of(user) -> str:
    """The language to write to this user in: their choice, else the portal's default (English)."""
    chosen = getattr(user, "language", "") or ""
    return chosen if chosen in LANGUAGE_CODES else settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if chosen in LANGUAGE_CODES:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
