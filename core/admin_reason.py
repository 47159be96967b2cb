"""The admin of an audited model: every change says why, and the trail records it with the channel "admin".

GxP (21 CFR 11.10(e), EU GMP Annex 11 §9): a change to a GMP-relevant record carries its reason. The portal's
own pages and API pass the reason to the services; the Django admin is the back door, so its change forms get a
"Reason for this change" field that is required as soon as anything on the page changed (the record's fields or
an inline row), and the save runs inside an audit context that carries it. A form saved unchanged writes nothing.
Deletion is refused elsewhere (``cmo_portal.apps.refuse_admin_deletes_of_tracked_models``).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from core.audit import audit_context

REASON_FIELD = "reason"
REASON_REQUIRED = _("Say why you make this change: the reason goes into the GxP audit trail.")


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for this change"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you change anything on this page: it goes into the audit trail."),
    )


def _posted_reason(data) -> str:
    return (data.get(REASON_FIELD) or "").strip() if data is not None else ""


class ReasonFormMixin:
    """Required reason on a change of an existing record (creating one records who and when; a reason is optional)."""

    def clean(self):
        data = super().clean()
        changed = [name for name in self.changed_data if name != REASON_FIELD]
        if self.instance.pk and changed and not _posted_reason(self.data):
            self.add_error(REASON_FIELD, REASON_REQUIRED)
        return data


class ReasonInlineFormSet(BaseInlineFormSet):
    """An inline row added, changed or removed on a change page needs the page's reason too."""

    def clean(self):
        super().clean()
        if self.instance.pk and self.has_changed() and not _posted_reason(self.data):
            raise ValidationError(REASON_REQUIRED)


class ReasonInline(admin.TabularInline):
    """An inline of audited rows: changes need the page's reason; rows are never deleted here."""

    formset = ReasonInlineFormSet
    extra = 0
    can_delete = False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReasonAdmin(admin.ModelAdmin):
    """Admin of an audited model: the change form carries a required reason, saved into the event's context."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and REASON_FIELD not in flatten_fieldsets(fieldsets):
            fieldsets.append((_("Why"), {"fields": [REASON_FIELD]}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if "fields" not in kwargs:  # as ModelAdmin.get_form does, without the form-only reason field
            kwargs["fields"] = [f for f in flatten_fieldsets(self.get_fieldsets(request, obj)) if f != REASON_FIELD]
        elif kwargs["fields"]:
            kwargs["fields"] = [f for f in kwargs["fields"] if f != REASON_FIELD]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        return type(form.__name__, (ReasonFormMixin, form), {REASON_FIELD: _reason_field()})

    def save_model(self, request, obj, form, change):
        if change and not [name for name in form.changed_data if name != REASON_FIELD]:
            return  # saved unchanged: nothing to write
        with audit_context(actor=request.user, channel="admin", reason=_posted_reason(request.POST)):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with audit_context(actor=request.user, channel="admin", reason=_posted_reason(request.POST)):
            super().save_related(request, form, formsets, change)
