"""The filters of the system audit trail report (a GET form: it writes nothing)."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import SecurityEventKind, User
from cmo_portal.audit_report import AuditFilters, record_type_choices
from core.form_fields import PlausibleDateField
from projects.records import Project


class AuditReportFilterForm(forms.Form):
    date_from = PlausibleDateField(required=False, label=_("From (UTC)"))
    date_to = PlausibleDateField(required=False, label=_("To (UTC, inclusive)"))
    actor = forms.ModelChoiceField(
        queryset=User.objects.order_by("username"), required=False, label=_("User"), empty_label=_("Everyone")
    )
    record_type = forms.ChoiceField(required=False, label=_("Record type"))
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, label=_("Project"), empty_label=_("All projects")
    )
    kind = forms.ChoiceField(
        required=False, label=_("Security event"), choices=[("", _("All kinds")), *SecurityEventKind.choices]
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = [("", _("All records")), *record_type_choices()]
        self.fields["actor"].label_from_instance = lambda u: f"{u.display_name} ({u.username})"
        if user is not None:
            self.fields["project"].queryset = Project.objects.for_user(user).order_by("code")
            self.fields["project"].label_from_instance = lambda p: f"{p.code} · {p.name}"

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."), code="date_order")
        return data

    def filters(self) -> AuditFilters:
        """The cleaned filters (an unbound form filters nothing)."""
        data = self.cleaned_data if self.is_bound else {}
        start, end = data.get("date_from"), data.get("date_to")
        return AuditFilters(
            since=dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC) if start else None,
            until=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC) if end else None,
            actor=data.get("actor"),
            record_model=data.get("record_type") or "",
            project=data.get("project"),
            kind=data.get("kind") or "",
        )
