"""Single sign-on in the admin: a client's provider and its e-mail domains (changes need a reason; the client
secret is write-only: the page shows its last four characters), and the identities bound so far (read-only).
Like every tracked record, none is deleted here: a provider is deactivated."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_reason import ReasonAdmin, ReasonInline
from sso.forms import OidcProviderForm, SsoDomainForm
from sso.models import OidcProvider, SsoDomain, SsoIdentity


class SsoDomainInline(ReasonInline):
    """Domains are added or corrected with the page's reason; like every tracked row, never deleted here."""

    model = SsoDomain
    form = SsoDomainForm


class SsoIdentityInline(ReasonInline):
    """Who is bound so far: made at a first sign-in, never typed in, read-only here."""

    model = SsoIdentity
    fields = ["user", "subject", "created_at", "last_login_at"]
    readonly_fields = fields
    verbose_name_plural = _("identities bound at first sign-in")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OidcProvider)
class OidcProviderAdmin(ReasonAdmin):
    form = OidcProviderForm
    inlines = [SsoDomainInline, SsoIdentityInline]
    list_display = ["client", "issuer", "oidc_client_id", "active"]
    list_filter = ["active"]
    list_select_related = ["client"]
    readonly_fields = ["secret_hint", "created_at"]
    fields = ["client", "issuer", "oidc_client_id", "oidc_client_secret", "secret_hint", "active", "created_at"]

    @admin.display(description=_("Stored secret"))
    def secret_hint(self, obj) -> str:
        return obj.secret_hint if obj is not None else ""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: the trail keeps who signed in through it
