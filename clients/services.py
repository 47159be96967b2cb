"""Writes for clients and users."""

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import access
from clients.models import CLIENT_ROLES, CalendarFeedToken, Client, Role, User

CALENDAR_FEED_SECRET_BYTES = 32  # 256 bits of randomness, 43 URL-safe characters
CALENDAR_FEED_LAST_USED_PRECISION = dt.timedelta(hours=1)  # calendar apps poll often; one write per hour at most


def _check_role_client(role: str, client: Client | None) -> None:
    if role in CLIENT_ROLES and client is None:
        raise ValidationError({"client": [_("A client user needs a client.")]})
    if role not in CLIENT_ROLES and client is not None:
        raise ValidationError({"client": [_("CMO staff (project managers, leadership, admins) have no client.")]})


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    role: str,
    client: Client | None = None,
    email: str = "",
    full_name: str = "",
) -> User:
    """Create a portal user; admins are Django staff so they reach /admin/."""
    _check_role_client(role, client)
    user = User(
        username=username,
        email=email,
        full_name=full_name,
        role=role,
        client=client,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def user_deactivate(*, actor: User, user: User, reason: str) -> User:
    """Users are deactivated, never deleted (their name stays on what they did; the username is never reused):
    logins, API tokens and calendar links stop working at once."""
    from clients import access
    from clients.tokens import tokens_revoke
    from core.audit import audit_context

    if not access.can_manage_users(actor):
        raise PermissionDenied(_("Only administrators deactivate users."))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the account is deactivated (audit trail).")]})
    with audit_context(actor=actor, reason=reason.strip()):
        User.objects.filter(pk=user.pk).update(is_active=False)
        tokens_revoke(user=user)
        CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    user.refresh_from_db()
    return user


@transaction.atomic
def client_create(*, actor: User | None, name: str, slug: str, active: bool = True, reason: str = "") -> Client:
    """Onboard a client (a tenant); its users are created next (``user_create``). ``slug`` never changes."""
    from core.audit import audit_context

    if actor is not None and not access.can_manage_users(actor):
        raise PermissionDenied(_("Only administrators create clients."))
    client = Client(name=(name or "").strip(), slug=slug, active=active)
    client.full_clean()
    with audit_context(actor=actor, reason=(reason or "").strip() or "Client onboarded"):
        client.save()
    return client


@transaction.atomic
def client_update(*, actor: User, client: Client, reason: str, name: str | None = None, active: bool | None = None):
    """Rename a client or (de)activate it, with the reason in the audit trail; an unchanged request writes nothing.

    Deactivating hides everything from the client's users at once (``for_user``); their accounts stay.
    """
    from core.audit import audit_context

    if not access.can_manage_users(actor):
        raise PermissionDenied(_("Only administrators change clients."))
    client = Client.objects.select_for_update().get(pk=client.pk)
    changes: dict[str, object] = {}
    if name is not None and name.strip() != client.name:
        changes["name"] = name.strip()
    if active is not None and active != client.active:
        changes["active"] = active
    if not changes:
        return client
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the client is renamed or (de)activated (audit trail).")]})
    for field, value in changes.items():
        setattr(client, field, value)
    client.full_clean()
    with audit_context(actor=actor, reason=reason.strip()):
        client.save(update_fields=list(changes))
    return client


def client_deactivate(*, actor: User, client: Client, reason: str) -> Client:
    """Offboard a client: its users see nothing from now on; nothing is deleted (``client_update``)."""
    return client_update(actor=actor, client=client, reason=reason, active=False)


# --- Calendar subscription links -----------------------------------------------------


def calendar_feed_token_hash(secret: str) -> str:
    """SHA-256 (hex) of a feed secret: the only form in which the secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_self_or_admin(actor: User, user: User) -> None:
    if not (actor.is_authenticated and actor.is_active and (actor.pk == user.pk or actor.role == Role.ADMIN)):
        raise PermissionDenied(_("Only the user or an administrator manages a calendar link."))


@transaction.atomic
def calendar_feed_token_issue(*, actor: User, user: User) -> tuple[CalendarFeedToken, str]:
    """Issue ``user`` a new secret calendar link, revoking the previous one; returns the secret (shown once)."""
    _require_self_or_admin(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)  # two resets at once: the second waits, one stays active
    if not user.is_active:
        raise ValidationError({"user": [_("An inactive user cannot have a calendar link.")]})
    CalendarFeedToken.objects.active().filter(user=user).update(revoked_at=timezone.now())
    secret = secrets.token_urlsafe(CALENDAR_FEED_SECRET_BYTES)
    token = CalendarFeedToken.objects.create(user=user, token_hash=calendar_feed_token_hash(secret))
    return token, secret


@transaction.atomic
def calendar_feed_token_revoke(*, actor: User, user: User) -> int:
    """Turn off ``user``'s calendar link (calendar apps get 404 from then on); returns how many were revoked."""
    _require_self_or_admin(actor, user)
    return CalendarFeedToken.objects.active().filter(user=user).update(revoked_at=timezone.now())


def calendar_feed_token_use(*, secret: str) -> User | None:
    """The active user a feed secret belongs to, or None (callers answer 404); records the last use.

    Looked up by the SHA-256 of the secret through a unique index: the comparison only ever
    sees the digest, so its timing tells nothing about the secret itself.
    """
    if not secret or len(secret) > 128:
        return None
    token = (
        CalendarFeedToken.objects.active()
        .filter(token_hash=calendar_feed_token_hash(secret), user__is_active=True)
        .select_related("user", "user__client")
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - CALENDAR_FEED_LAST_USED_PRECISION:
        CalendarFeedToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - CALENDAR_FEED_LAST_USED_PRECISION)
        ).update(last_used_at=now)
    return token.user


@transaction.atomic
def user_language_set(*, actor: User, user: User, language: str) -> bool:
    """Set the language a user reads the portal in ("" = the browser's). Returns whether anything changed:
    the same choice again writes nothing (no audit event)."""
    from core.audit import audit_context
    from core.languages import LANGUAGE_CODES

    if not (actor.is_authenticated and actor.is_active and (actor.pk == user.pk or access.can_manage_users(actor))):
        raise PermissionDenied(_("Only the user or an administrator chooses the user's language."))
    if language and language not in LANGUAGE_CODES:
        raise ValidationError({"language": [_("Choose one of the portal's languages.")]})
    if user.language == language:
        return False
    with audit_context(actor=actor, reason="Language changed"):
        User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True
