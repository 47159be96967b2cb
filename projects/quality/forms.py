"""Forms of the quality page: a batch, a quality event, closing an event."""

from django import forms
from django.utils import timezone

from core.form_fields import PlausibleDateField
from projects.list_forms import ListFilterForm
from projects.quality.models import BatchOutcome, QualityEventKind, Severity
from projects.records import Visibility


class BatchForm(forms.Form):
    number = forms.CharField(max_length=40)
    planned_date = PlausibleDateField()
    actual_date = PlausibleDateField(required=False, label="Made on")
    outcome = forms.ChoiceField(choices=BatchOutcome.choices, initial=BatchOutcome.PENDING)
    right_first_time = forms.BooleanField(required=False, initial=True, label="Right first time")


class QualityEventForm(forms.Form):
    reference = forms.CharField(max_length=40, widget=forms.TextInput(attrs={"placeholder": "DEV-2026-014"}))
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=QualityEventKind.choices)
    severity = forms.ChoiceField(choices=Severity.choices)
    batch = forms.ModelChoiceField(queryset=None, required=False, empty_label="— no batch —")
    opened = PlausibleDateField(initial=timezone.localdate)
    due = PlausibleDateField(required=False)
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.INTERNAL)

    def __init__(self, *args, batches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = batches

    def clean(self):
        data = super().clean()
        if data.get("due") and data.get("opened") and data["due"] < data["opened"]:
            self.add_error("due", "The due date cannot be before the opening date.")
        return data


class QualityEventCloseForm(forms.Form):
    event = forms.IntegerField(widget=forms.HiddenInput)
    closed = PlausibleDateField(initial=timezone.localdate)

    def clean_closed(self):
        closed = self.cleaned_data["closed"]
        if closed > timezone.localdate():
            raise forms.ValidationError("The closing date cannot be in the future.")
        return closed


class QualityEventFilterForm(ListFilterForm):
    """The quality events' filters: open/closed, overdue, kind, severity and (CMO staff) visibility."""

    status = forms.ChoiceField(
        required=False, choices=[("", "Open and closed"), ("open", "Open"), ("closed", "Closed")]
    )
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *QualityEventKind.choices])
    severity = forms.ChoiceField(required=False, choices=[("", "Any severity"), *Severity.choices])
    visibility = forms.ChoiceField(required=False, choices=[("", "Shared and internal"), *Visibility.choices])
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args, for_client: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]
