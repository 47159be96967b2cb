"""Account pages of the clients app."""

import hashlib

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients import passkeys, services, two_factor
from clients.forms import CodeForm, LanguageForm, LocalisedPasswordResetForm, PasswordConfirmForm
from clients.models import SecurityEventKind
from clients.security import security_event_record
from clients.tokens import tokens_revoke


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; a new password also revokes the user's API tokens and is a security event."""

    def form_valid(self, form):
        response = super().form_valid(form)
        revoked = tokens_revoke(user=form.user)
        security_event_record(
            kind=SecurityEventKind.PASSWORD_CHANGED, request=self.request, user=form.user, tokens_revoked=revoked
        )
        return response


# --- Password reset by e-mail (issue 15) ---------------------------------------------------------------------------


def reset_rate_keys(email: str, ip: str) -> list[str]:
    """The cache keys counting reset requests of one address and of one client IP in the current hour."""
    address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return ["password-reset:address:" + address, "password-reset:ip:" + ip]


def _reset_allowed(request, email: str) -> bool:
    """At most PASSWORD_RESET_LIMIT_PER_HOUR requests per address and four times that per client IP, counted in
    the cache. A cache that is down counts nothing (the request goes through): the links still expire."""
    limit = settings.PASSWORD_RESET_LIMIT_PER_HOUR
    address_key, ip_key = reset_rate_keys(email, str(request.META.get("REMOTE_ADDR", "")))
    buckets = ((address_key, limit), (ip_key, limit * 4))
    allowed = True
    for key, most in buckets:
        try:
            cache.add(key, 0, timeout=3600)
            count = cache.incr(key)
        except (ValueError, ConnectionError):
            continue
        allowed = allowed and count <= most
    return allowed


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail: the same answer whether or not the address is known; the link in the e-mail is
    built from PORTAL_BASE_URL, never from the request's Host header."""

    email_template_name = "registration/password_reset_email.txt"
    form_class = LocalisedPasswordResetForm
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        allowed = _reset_allowed(self.request, email)
        known = any(True for _ in form.get_users(email))
        security_event_record(
            kind=SecurityEventKind.PASSWORD_RESET_ASKED,
            request=self.request,
            username=email,
            known_address=known,
            sent=allowed and known,
        )
        if not allowed:
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"portal_base_url": settings.PORTAL_BASE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password from a reset link: a password change like any other (API tokens revoked, ageing restarts,
    a security event), and the login lockout of that username is lifted: the owner proved the mailbox is theirs."""

    def form_valid(self, form):
        response = super().form_valid(form)
        revoked = tokens_revoke(user=form.user)
        axes_reset(username=form.user.get_username())
        security_event_record(
            kind=SecurityEventKind.PASSWORD_CHANGED,
            request=self.request,
            user=form.user,
            via="password_reset",
            tokens_revoked=revoked,
        )
        return response


# --- Two-factor authentication (issue 15) --------------------------------------------------------------------------


def _next_param(request) -> str:
    """The ``next`` the login carried, when it is a page of this portal; else empty."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def _safe_next(request) -> str:
    return _next_param(request) or reverse("home")


def two_factor_verify(request):
    """The login's second step: the authenticator's code or a recovery code."""
    if not request.user.is_authenticated:
        return redirect("login")
    if two_factor.pending_step(request) != two_factor.VERIFY:
        return redirect(_safe_next(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            ok, message = two_factor.code_verify(request=request, user=request.user, code=form.cleaned_data["code"])
            if ok:
                return redirect(_safe_next(request))
            form.add_error("code", message)
        status = 400
    context = {"form": form, "next": _next_param(request), **passkeys.verify_context(request)}
    return render(request, "clients/two_factor_verify.html", context, status=status)


@login_required
def two_factor_settings(request):
    """Set up an authenticator app (QR code, secret, a code to confirm) or passkeys (named; removed with the
    password), renew recovery codes, or turn it all off."""
    user = request.user
    device = two_factor.confirmed_totp(user)
    any_factor = two_factor.has_second_factor(user)
    required = two_factor.role_requires_two_factor(user)
    action = request.POST.get("action", "")
    enrol_form = CodeForm(request.POST if action == "enrol" else None)
    password_form = PasswordConfirmForm(request.POST if action in ("renew", "disable") else None, user=user)
    passkey_remove_form = PasswordConfirmForm(request.POST if action == "passkey-remove" else None, user=user)
    new_codes: list[str] | None = None
    status = 200
    if request.method == "POST":
        if action == "enrol" and device is None and enrol_form.is_valid():
            new_codes = two_factor.two_factor_enrol(
                request=request, user=user, key=two_factor.pending_key(request), code=enrol_form.cleaned_data["code"]
            )
            if new_codes is None:
                enrol_form.add_error("code", two_factor.WRONG_CODE)
        elif action == "renew" and any_factor and password_form.is_valid():
            new_codes = two_factor.recovery_codes_renew(request=request, user=user)
        elif action == "disable" and any_factor and password_form.is_valid():
            if required:
                password_form.add_error(None, _("Your role requires two-factor authentication: it stays on."))
            else:
                two_factor.two_factor_disable(request=request, user=user)
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("two-factor")
        elif action == "passkey-name":
            named, new_codes = passkeys.passkey_name_post(request, user)
            if named and new_codes is None:
                return redirect(_next_param(request) or "two-factor")
        elif action == "passkey-remove":
            passkey = passkeys.passkey_for(user, request.POST.get("passkey"))  # another user's: 404
            if passkey_remove_form.is_valid():
                refused = passkeys.passkey_remove(request=request, user=user, passkey=passkey)
                if not refused:
                    messages.success(request, _("The passkey “%(name)s” was removed.") % {"name": passkey.name})
                    return redirect("two-factor")
                passkey_remove_form.add_error(None, refused)
        elif action not in ("enrol", "renew", "disable"):
            messages.error(request, _("Unknown action: nothing was changed."))
        if new_codes is None:
            status = 400
        device = two_factor.confirmed_totp(user)
        any_factor = two_factor.has_second_factor(user)
    context = {
        "device": device,
        "any_factor": any_factor,
        "required": required,
        "pending": two_factor.pending_step(request) == two_factor.ENROL,
        "enrol_form": enrol_form,
        "password_form": password_form,
        "passkey_remove_form": passkey_remove_form,
        "new_codes": new_codes,
        "codes_left": two_factor.recovery_codes_left(user) if any_factor else 0,
        "next": _next_param(request),
        **passkeys.settings_context(request),
    }
    if device is None:
        key = two_factor.pending_key(request)
        context["qr_svg"] = two_factor.qr_svg(two_factor.provisioning_uri(user, key))
        context["secret"] = two_factor.secret_text(key)
    return render(request, "clients/two_factor.html", context, status=status)


# --- Language (issue 15) -------------------------------------------------------------------------------------------


@require_POST
def language_set(request):
    """The language menu. A logged-in user's choice is saved on the account (audited), so it follows them to every
    device and into their e-mails; before login it is kept in a cookie, as Django's ``set_language`` does."""
    form = LanguageForm(request.POST)
    target = _next_param(request) or reverse("home")
    if not form.is_valid():
        messages.error(request, _("Choose one of the portal's languages: nothing was changed."))
        return redirect(target)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_language_set(actor=request.user, user=request.user, language=language)
    shown = language or settings.LANGUAGE_CODE  # "the browser's": the next page says which; this message is English
    response = redirect(target)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN
        )
    with translation.override(shown):
        messages.success(request, _("Language changed."))
    return response
