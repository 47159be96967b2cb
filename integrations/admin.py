"""Outgoing webhooks in the admin: endpoints (changes need a reason; the secret is shown once, on creation) and
the read-only delivery log."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_reason import ReasonAdmin
from core.audit import audit_context
from integrations import destinations, signing
from integrations.events import EVENT_CHOICES, EVENTS
from integrations.models import WebhookDelivery, WebhookEndpoint


def _https_first(db_field, **kwargs):
    """A URL typed without a scheme is read as https:// (the only scheme accepted)."""
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class WebhookEndpointForm(forms.ModelForm):
    event_keys = forms.MultipleChoiceField(
        label=_("Events"), choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["client", "name", "url", "event_keys", "active"]
        formfield_callback = _https_first

    def clean_url(self):
        try:
            return destinations.url_check(self.cleaned_data["url"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error

    def clean_event_keys(self):
        chosen = self.cleaned_data["event_keys"]
        return [key for key in EVENTS if key in chosen]

    def clean_client(self):
        client = self.cleaned_data.get("client")
        if self.instance.pk and client != self.instance.client:
            raise forms.ValidationError(_("The owner of an endpoint never changes: register another endpoint."))
        if client is not None and not client.active and not self.instance.pk:
            raise forms.ValidationError(_("This client is inactive."))
        return client


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReasonAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "client", "url", "active", "failing_since", "consecutive_failures"]
    list_filter = ["active", "client"]
    search_fields = ["name", "url"]
    readonly_fields = ["failing_since", "consecutive_failures", "created_by", "created_at"]
    fields = ["client", "name", "url", "event_keys", "active", *readonly_fields]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.secret = signing.new_secret()
        obj.created_by = request.user
        with audit_context(actor=request.user, channel="admin", reason=f"Webhook endpoint “{obj.name}” registered"):
            obj.save()
        self.message_user(
            request,
            gettext("The endpoint's signing secret, shown this once (give it to the receiver): %(secret)s")
            % {"secret": obj.secret},
            messages.WARNING,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "endpoint", "status", "attempts", "last_status_code", "delivered_at"]
    list_filter = ["status", "event", "endpoint"]
    list_select_related = ["endpoint"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
