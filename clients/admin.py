from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential

from clients import services, two_factor
from clients.models import Client, PMCertification, SecurityEventKind, SecurityPolicy, User
from clients.security import security_event_record
from clients.tokens import tokens_revoke
from core.admin_reason import ReasonAdmin


@admin.register(Client)
class ClientAdmin(ReasonAdmin):
    list_display = ["name", "slug", "active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(ReasonAdmin, DjangoUserAdmin):
    list_display = ["username", "full_name", "email", "role", "client", "is_active"]
    list_filter = ["role", "client", "is_active"]
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("Portal"), {"fields": ("full_name", "role", "client")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, (_("Portal"), {"fields": ("full_name", "role", "client")}))
    actions = ["reset_two_factor"]

    @admin.action(description=_("Reset two-factor (lost phone): remove the authenticator, passkeys and recovery codes"))
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            two_factor.two_factor_disable(request=request, user=user, by=request.user)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "Two-factor reset for %(count)d user: they set it up again at the next login if their role "
                "requires it.",
                "Two-factor reset for %(count)d users: each sets it up again at the next login if their role "
                "requires it.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Deactivated here as in the API: API tokens and calendar links stop working at once.
            services.user_deactivate(actor=request.user, user=obj, reason=form.cleaned_data["reason"])

    def user_change_password(self, request, id, form_url=""):
        """A password set by an administrator revokes the user's API tokens and is a security event, as a user's
        own change is (``clients.views.PasswordChangeView``)."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            revoked = tokens_revoke(user=user)
            security_event_record(
                kind=SecurityEventKind.PASSWORD_CHANGED,
                request=request,
                user=user,
                by=request.user.username,
                tokens_revoked=revoked,
            )
        return response


@admin.register(PMCertification)
class PMCertificationAdmin(ReasonAdmin):
    list_display = ["user", "kind", "issued", "expires"]
    list_filter = ["kind"]


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(ReasonAdmin):
    """The one security policy row: which roles must log in with a second factor (clients.two_factor)."""

    list_display = [
        "__str__",
        "require_2fa_client_viewer",
        "require_2fa_client_approver",
        "require_2fa_project_manager",
        "require_2fa_leadership",
        "require_2fa_admin",
    ]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not SecurityPolicy.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)


# Devices hold the authenticator's secret and the recovery codes: they are not shown or edited in the admin.
# An administrator resets a user's two-factor with the user list's action (a security event records it).
for _device_model in (TOTPDevice, StaticDevice, WebAuthnCredential, WebAuthnAttestation):
    try:
        admin.site.unregister(_device_model)
    except NotRegistered:
        pass
