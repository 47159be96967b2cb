from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from clients import services
from clients.models import Client, PMCertification, SecurityEventKind, User
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
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Portal", {"fields": ("full_name", "role", "client")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Portal", {"fields": ("full_name", "role", "client")}))

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
