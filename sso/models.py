"""Single sign-on (issue 15): one OpenID Connect provider per client organisation, and the identities it vouches for.

The provider only proves *who* signs in (its ``sub``); *what* they may do comes from the portal's own ``User`` row
(client and role). No claim of the provider (a client's name, a role, groups) is ever read for access.
"""

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet
from core.audit import audited


class OidcProviderQuerySet(ScopedQuerySet):
    """Configuration for administrators (the admin); never listed to a client user."""

    client_path = "client"
    staff_only = True


# The client secret is never in the audit trail (it would be readable there forever).
@audited(exclude=["oidc_client_secret"])
class OidcProvider(models.Model):
    """A client organisation's own identity provider (Entra ID, Okta, Keycloak ...), registered by an administrator."""

    client = models.OneToOneField(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name="oidc_provider",
        help_text=_("The organisation whose users sign in through this provider (one provider per client)."),
    )
    issuer = models.URLField(
        max_length=300,
        help_text=_("The provider's issuer URL exactly as its discovery document states it (https)."),
    )
    oidc_client_id = models.CharField(
        _("OIDC client ID"), max_length=255, help_text=_("The portal's client ID at the provider.")
    )
    oidc_client_secret = models.CharField(_("OIDC client secret"), max_length=500)
    active = models.BooleanField(default=True, help_text=_("Inactive: nobody signs in through it."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = OidcProviderQuerySet.as_manager()

    class Meta:
        verbose_name = _("OpenID Connect provider")
        ordering = ["client__name"]

    def __str__(self) -> str:
        return gettext("Single sign-on of %(client)s") % {"client": self.client}

    @property
    def secret_hint(self) -> str:
        """The last four characters of the secret, enough to tell which one is stored."""
        return f"…{self.oidc_client_secret[-4:]}" if self.oidc_client_secret else ""


class SsoDomainQuerySet(ScopedQuerySet):
    client_path = "provider__client"
    staff_only = True


@audited()
class SsoDomain(models.Model):
    """An e-mail domain whose users are sent to this provider from the login page; an e-mail address is matched to
    a portal user (on first sign-in) only when its domain is one of its provider's."""

    provider = models.ForeignKey(OidcProvider, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, help_text=_("e.g. aurora-bio.com (lower case, no @)."))

    objects = SsoDomainQuerySet.as_manager()

    class Meta:
        verbose_name = _("single sign-on e-mail domain")
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(Lower("domain"), name="sso_domain_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.domain


class SsoIdentityQuerySet(ScopedQuerySet):
    client_path = "user__client"
    staff_only = True


@audited(exclude=["last_login_at"])
class SsoIdentity(models.Model):
    """The binding of a provider's subject (``sub``) to one portal user, made at their first sign-in."""

    provider = models.ForeignKey(OidcProvider, on_delete=models.PROTECT, related_name="identities")
    user = models.ForeignKey("clients.User", on_delete=models.CASCADE, related_name="sso_identities")
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_login_at = models.DateTimeField(null=True, blank=True)

    objects = SsoIdentityQuerySet.as_manager()

    class Meta:
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")
        ordering = ["provider", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="sso_identity_one_user_per_subject"),
            models.UniqueConstraint(fields=["provider", "user"], name="sso_identity_one_subject_per_user"),
        ]

    def __str__(self) -> str:
        return gettext("%(user)s at %(client)s") % {"user": self.user, "client": self.provider.client}
