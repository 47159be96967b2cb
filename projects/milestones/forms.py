"""The inline milestone edit form of the project page."""

from django import forms

from core.form_fields import PlausibleDateField
from projects.milestones.models import Milestone


class MilestoneEditForm(forms.Form):
    """Inline milestone edit: forecast, percent, completion, with the reason the audit trail records."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    forecast_date = PlausibleDateField(required=False)
    percent_complete = forms.DecimalField(min_value=0, max_value=100, decimal_places=2, required=True)
    actual_date = PlausibleDateField(required=False, label="Completed on")
    reason = forms.CharField(required=False, max_length=500, widget=forms.TextInput(attrs={"placeholder": "Why?"}))
    override_reason = forms.CharField(
        required=False,
        max_length=500,
        label="Override reason",
        help_text="Only to complete with required checklist items still open.",
    )

    @classmethod
    def for_milestone(cls, milestone: Milestone, data=None):
        return cls(
            data=data,
            initial={
                "version": milestone.version,
                "forecast_date": milestone.forecast_date,
                "percent_complete": milestone.percent_complete,
                "actual_date": milestone.actual_date,
            },
            prefix=f"m{milestone.pk}",
        )

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            "forecast_date": data["forecast_date"],
            "percent_complete": data["percent_complete"],
            "actual_date": data["actual_date"],
        }
