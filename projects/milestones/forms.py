"""The inline milestone edit form of the project page and the forms of the plan import."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.form_fields import PlausibleDateField
from projects.milestones import plan_import
from projects.milestones.models import Milestone


class MilestoneEditForm(forms.Form):
    """Inline milestone edit: forecast, percent, completion, with the reason the audit trail records."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    forecast_date = PlausibleDateField(required=False, label=_("Forecast date"))
    percent_complete = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=2, required=True, label=_("Percent complete")
    )
    actual_date = PlausibleDateField(required=False, label=_("Completed on"))
    reason = forms.CharField(
        required=False, max_length=500, label=_("Reason"), widget=forms.TextInput(attrs={"placeholder": _("Why?")})
    )
    override_reason = forms.CharField(
        required=False,
        max_length=500,
        label=_("Override reason"),
        help_text=_("Only to complete with required checklist items still open."),
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


class PlanImportForm(forms.Form):
    """A plan file to preview: Microsoft Project XML or CSV; which of its tasks become milestones."""

    file = forms.FileField(label=_("Plan file (.xml from Microsoft Project, or .csv)"))
    scope = forms.ChoiceField(
        choices=[
            (plan_import.SCOPE_MILESTONES, _("Milestones only (tasks flagged as milestones)")),
            (plan_import.SCOPE_TASKS, _("Every task that is not a summary task")),
        ],
        initial=plan_import.SCOPE_MILESTONES,
        label=_("Import"),
        help_text=_("Microsoft Project XML only: every CSV row is a milestone."),
    )
    replace = forms.BooleanField(
        required=False,
        label=_("Replace the project's milestones"),
        help_text=_("Only before the project starts (e.g. the template's milestones of a new project)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > plan_import.MAX_PLAN_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(size)s MB.") % {"size": plan_import.MAX_PLAN_BYTES // 1_000_000}
            )
        return upload


class PlanImportConfirmForm(forms.Form):
    """Confirms the previewed file (held on the server; ``digest`` names it) with the audit trail's reason."""

    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)
    reason = forms.CharField(
        max_length=500,
        label=_("Reason"),
        help_text=_("Recorded in the audit trail with every milestone created."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Plan agreed at kick-off, MS Project v3")}),
    )
