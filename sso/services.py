"""Who a provider's ID token is in the portal: the binding of (provider, subject) to one portal user.

The provider proves identity only. The user's client and role are the portal's ``User`` row's: a token is
honoured only for a user of the provider's own client with a client role, and its other claims ("client",
"role", "groups" ...) are never read. Nobody is created here: an administrator creates the portal user first
(docs/decisions.md, "Single sign-on").
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import User
from clients.roles import CLIENT_ROLES
from core.audit import audit_context
from sso.models import OidcProvider, SsoIdentity
from sso.selectors import email_domain

NO_ACCOUNT = _(
    "Your organisation's sign-in worked, but no portal account is set up for you. Ask your administrator at the "
    "CMO to create one with your work e-mail address. Nothing was created."
)
UNVERIFIED = _(
    "Your organisation's sign-in did not confirm your e-mail address, so the portal cannot tell which account is "
    "yours. Ask your administrator at the CMO."
)
OTHER_SUBJECT = _(
    "This portal account is already linked to another identity at your organisation's provider. Ask your "
    "administrator at the CMO."
)
INACTIVE = _("This portal account is deactivated. Ask your administrator at the CMO.")


class SsoRefused(Exception):
    """A sign-in the portal refuses: ``message`` for the person, ``reason`` for the security event."""

    def __init__(self, message: str, reason: str):
        super().__init__(reason)
        self.message = message
        self.reason = reason


def _may_sign_in(provider: OidcProvider, user: User) -> None:
    if user.client_id != provider.client_id or user.role not in CLIENT_ROLES:
        raise SsoRefused(NO_ACCOUNT, "account no longer of the provider's client")
    if not user.is_active:
        raise SsoRefused(INACTIVE, "inactive user")


def _user_by_email(provider: OidcProvider, claims: dict) -> User:
    email = claims.get("email")
    if not isinstance(email, str) or not email or claims.get("email_verified") is not True:
        raise SsoRefused(UNVERIFIED, "no verified e-mail in the ID token")
    if not provider.domains.filter(domain__iexact=email_domain(email)).exists():
        raise SsoRefused(NO_ACCOUNT, "e-mail domain not among the provider's")
    matches = list(
        User.objects.select_related("client").filter(
            client=provider.client, role__in=[role.value for role in CLIENT_ROLES], email__iexact=email
        )[:2]
    )
    if len(matches) != 1:
        raise SsoRefused(
            NO_ACCOUNT,
            "no portal user of the provider's client has this e-mail"
            if not matches
            else "several portal users have this e-mail",
        )
    return matches[0]


@transaction.atomic
def sso_user_resolve(*, provider: OidcProvider, claims: dict) -> User:
    """The portal user a validated ID token signs in: the one bound to its subject, else (first sign-in) the one user
    of the provider's client with its verified e-mail, which is then bound. Raises ``SsoRefused``."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SsoRefused(NO_ACCOUNT, "no usable subject in the ID token")
    identity = (
        SsoIdentity.objects.select_for_update(of=("self",))
        .select_related("user__client")
        .filter(provider=provider, subject=subject)
        .first()
    )
    if identity is None:
        user = _user_by_email(provider, claims)
        _may_sign_in(provider, user)
        if SsoIdentity.objects.filter(provider=provider, user=user).exists():
            raise SsoRefused(OTHER_SUBJECT, "portal user already bound to another subject")
        try:
            with (
                transaction.atomic(),
                audit_context(
                    actor=user,
                    channel="page",
                    reason="First single sign-on: the provider's subject bound by verified e-mail",
                ),
            ):
                identity = SsoIdentity.objects.create(provider=provider, user=user, subject=subject)
        except IntegrityError as error:  # the same first sign-in twice at once
            raise SsoRefused(OTHER_SUBJECT, "binding raced another sign-in") from error
    user = identity.user
    _may_sign_in(provider, user)
    SsoIdentity.objects.filter(pk=identity.pk).update(last_login_at=timezone.now())
    return user
