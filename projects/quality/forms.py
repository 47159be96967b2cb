"""Forms of the quality page: a batch, a quality event, closing an event."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.form_fields import PlausibleDateField
from projects.list_forms import ListFilterForm
from projects.quality.models import BatchOutcome, QualityEventKind, Severity
from projects.records import Visibility


class BatchForm(forms.Form):
    number = forms.CharField(max_length=40, label=_("Number"))
    planned_date = PlausibleDateField(label=_("Planned date"))
    actual_date = PlausibleDateField(required=False, label=_("Made on"))
    outcome = forms.ChoiceField(choices=BatchOutcome.choices, initial=BatchOutcome.PENDING, label=_("Outcome"))
    right_first_time = forms.BooleanField(required=False, initial=True, label=_("Right first time"))


class QualityEventForm(forms.Form):
    reference = forms.CharField(
        max_length=40, label=_("Reference"), widget=forms.TextInput(attrs={"placeholder": "DEV-2026-014"})
    )
    title = forms.CharField(max_length=200, label=_("Title"))
    kind = forms.ChoiceField(choices=QualityEventKind.choices, label=_("Kind"))
    severity = forms.ChoiceField(choices=Severity.choices, label=_("Severity"))
    batch = forms.ModelChoiceField(queryset=None, required=False, label=_("Batch"), empty_label=_("— no batch —"))
    opened = PlausibleDateField(initial=timezone.localdate, label=_("Opened"))
    due = PlausibleDateField(required=False, label=_("Due"))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.INTERNAL, label=_("Visibility"))

    def __init__(self, *args, batches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = batches

    def clean(self):
        data = super().clean()
        if data.get("due") and data.get("opened") and data["due"] < data["opened"]:
            self.add_error("due", _("The due date cannot be before the opening date."))
        return data


class QualityEventCloseForm(forms.Form):
    event = forms.IntegerField(widget=forms.HiddenInput)
    closed = PlausibleDateField(initial=timezone.localdate, label=_("Closed"))

    def clean_closed(self):
        closed = self.cleaned_data["closed"]
        if closed > timezone.localdate():
            raise forms.ValidationError(_("The closing date cannot be in the future."))
        return closed


class QualityEventFilterForm(ListFilterForm):
    """The quality events' filters: open/closed, overdue, kind, severity and (CMO staff) visibility."""

    status = forms.ChoiceField(
        required=False,
        label=_("Status"),
        choices=[("", _("Open and closed")), ("open", _("Open")), ("closed", pgettext_lazy("status", "Closed"))],
    )
    kind = forms.ChoiceField(required=False, label=_("Kind"), choices=[("", _("Any kind")), *QualityEventKind.choices])
    severity = forms.ChoiceField(
        required=False, label=_("Severity"), choices=[("", _("Any severity")), *Severity.choices]
    )
    visibility = forms.ChoiceField(
        required=False, label=_("Visibility"), choices=[("", _("Shared and internal")), *Visibility.choices]
    )
    overdue = forms.BooleanField(required=False, label=_("Overdue only"))

    def __init__(self, *args, for_client: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]
