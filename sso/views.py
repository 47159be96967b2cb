"""Single sign-on pages: the e-mail form that starts it, and the provider's callback.

No page lists which organisations use single sign-on: the provider is found from the e-mail's domain only.
"""

import logging
import secrets
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from clients.models import SecurityEventKind
from clients.security import security_event_record
from sso import oidc, selectors, services
from sso.forms import SsoStartForm

logger = logging.getLogger(__name__)

FLOW_SESSION_KEY = "sso_flow"
NO_PROVIDER = _("Single sign-on is not set up for that e-mail domain: log in with your portal username and password.")
UNAVAILABLE = _(
    "Your organisation's sign-in service could not be reached. Try again later, or log in with your password."
)
FAILED = _(
    "Your organisation's sign-in could not be completed (it may have expired). Nothing was changed: start again."
)
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _page(request, form, *, error: str = "", status: int = 200):
    return render(request, "sso/start.html", {"form": form, "error": error}, status=status)


def _safe_next(request, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False):
        return value
    return ""


@require_http_methods(["GET", "POST"])
def sso_start(request):
    """Ask for the work e-mail; its domain names the provider, to which the browser is then sent."""
    if request.method == "GET":
        return _page(request, SsoStartForm(initial={"next": request.GET.get("next", "")}))
    form = SsoStartForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    provider = selectors.provider_for_email(form.cleaned_data["email"])
    if provider is None:
        return _page(request, form, error=NO_PROVIDER, status=400)
    try:
        metadata = oidc.server_metadata(provider)
        app = oidc.relying_party(provider, metadata)
        response = app.authorize_redirect(request, request.build_absolute_uri(reverse("sso-callback")))
    except oidc.FLOW_ERRORS:
        logger.warning("SSO: provider of %s unavailable", provider.client.slug, exc_info=True)
        return _page(request, form, error=UNAVAILABLE, status=502)
    state = dict(parse_qsl(urlsplit(response["Location"]).query)).get("state", "")
    request.session[FLOW_SESSION_KEY] = {
        "provider": provider.pk,
        "state": state,
        "next": _safe_next(request, form.cleaned_data["next"]),
    }
    return response


def _refuse(request, *, provider=None, message: str, reason: str, username: str = "", status: int = 403):
    detail = {"method": "sso", "reason": reason}
    if provider is not None:
        detail["client"] = provider.client.slug
    security_event_record(kind=SecurityEventKind.LOGIN_FAILED, request=request, username=username, **detail)
    return _page(request, SsoStartForm(), error=message, status=status)


@require_GET
def sso_callback(request):
    """The provider sends the browser back here with a code: exchange it, check the ID token, log the user in."""
    flow = request.session.pop(FLOW_SESSION_KEY, None)
    state = request.GET.get("state", "")
    if not isinstance(flow, dict) or not state or not secrets.compare_digest(str(flow.get("state", "")), state):
        return _refuse(request, message=FAILED, reason="state missing or not this session's", status=400)
    provider = selectors.active_provider(flow.get("provider"))
    if provider is None:
        return _refuse(request, message=FAILED, reason="provider gone or inactive", status=400)
    try:
        app = oidc.relying_party(provider, oidc.server_metadata(provider))
        token = app.authorize_access_token(request, claims_options=oidc.id_token_claims_options(provider))
        claims = token.get("userinfo")
        if not claims:
            raise oidc.ProviderError("no ID token in the token response")
    except oidc.FLOW_ERRORS as error:
        logger.warning("SSO: sign-in through %s refused: %s", provider.client.slug, error)
        return _refuse(request, provider=provider, message=FAILED, reason=f"token refused: {error}"[:300])
    try:
        user = services.sso_user_resolve(provider=provider, claims=dict(claims))
    except services.SsoRefused as refused:
        username = str(claims.get("email") or claims.get("sub") or "")
        return _refuse(request, provider=provider, message=refused.message, reason=refused.reason, username=username)
    request.login_detail = {"method": "sso", "client": provider.client.slug}
    login(request, user, backend=BACKEND)  # a security event (clients.security); two-factor applies as after a password
    return redirect(flow.get("next") or settings.LOGIN_REDIRECT_URL)
