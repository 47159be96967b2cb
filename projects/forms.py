from django import forms
from django.utils import timezone

from clients.models import STAFF_ROLES, User
from core.form_fields import PlausibleDateField
from projects.models import (
    MAX_SCHEDULE_IMPACT_DAYS,
    BatchOutcome,
    CostCategory,
    Milestone,
    QualityEventKind,
    QualityImpact,
    Severity,
    Visibility,
)


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


class RebaselineForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class SignForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")], widget=forms.RadioSelect)
    password = forms.CharField(widget=forms.PasswordInput, help_text="Re-enter your password to sign.")
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


# --- The four constraints as records -----------------------------------------------


def _date_field(**kwargs) -> forms.DateField:
    return PlausibleDateField(**kwargs)


def _money_field(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class CostEntryForm(forms.Form):
    date = _date_field(initial=timezone.localdate)
    amount = _money_field(help_text="In the project's currency; negative for a credit.")
    category = forms.ChoiceField(choices=CostCategory.choices)
    description = forms.CharField(required=False, max_length=300)


class CostImportForm(forms.Form):
    """CSV of cost entries, pasted or uploaded: header ``date,amount,category[,description]``."""

    MAX_BYTES = 2_000_000

    text = forms.CharField(
        required=False,
        label="Paste CSV",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "date,amount,category,description"}),
    )
    file = forms.FileField(required=False, label="or upload a .csv file")

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError({"file": "The file is larger than 2 MB."})
            try:
                data["csv"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise forms.ValidationError({"file": "The file is not UTF-8 text."}) from error
        elif (data.get("text") or "").strip():
            data["csv"] = data["text"]
        else:
            raise forms.ValidationError("Paste CSV rows or choose a file.")
        return data


class InvoiceForm(forms.Form):
    number = forms.CharField(max_length=40)
    date = _date_field(initial=timezone.localdate)
    amount = _money_field(min_value=0)
    description = forms.CharField(required=False, max_length=300)


class ChangeRequestForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    schedule_impact_days = forms.IntegerField(
        initial=0,
        min_value=-MAX_SCHEDULE_IMPACT_DAYS,
        max_value=MAX_SCHEDULE_IMPACT_DAYS,
        label="Schedule impact (days)",
        help_text="The forecasts of the milestones it moves shift by this many days.",
    )
    cost_impact = _money_field(initial=0, label="Cost impact", help_text="Added to the budget on approval.")
    scope_impact = forms.CharField(required=False, label="Scope impact", widget=forms.Textarea(attrs={"rows": 2}))
    scope_impact_percent = forms.DecimalField(
        max_digits=6, decimal_places=2, initial=0, min_value=-100, max_value=1000, label="Scope change (%)"
    )
    quality_impact = forms.ChoiceField(choices=QualityImpact.choices, initial=QualityImpact.NONE)
    quality_impact_text = forms.CharField(
        required=False, label="Quality impact, in words", widget=forms.Textarea(attrs={"rows": 2})
    )
    moved_milestones = forms.ModelMultipleChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Milestones it moves",
        help_text="None ticked: every open milestone moves. The client approver sees the list before signing.",
    )

    def __init__(self, *args, open_milestones=None, **kwargs):
        super().__init__(*args, **kwargs)
        if open_milestones is not None:
            self.fields["moved_milestones"].queryset = open_milestones


class BatchForm(forms.Form):
    number = forms.CharField(max_length=40)
    planned_date = _date_field()
    actual_date = _date_field(required=False, label="Made on")
    outcome = forms.ChoiceField(choices=BatchOutcome.choices, initial=BatchOutcome.PENDING)
    right_first_time = forms.BooleanField(required=False, initial=True, label="Right first time")


class QualityEventForm(forms.Form):
    reference = forms.CharField(max_length=40, widget=forms.TextInput(attrs={"placeholder": "DEV-2026-014"}))
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=QualityEventKind.choices)
    severity = forms.ChoiceField(choices=Severity.choices)
    batch = forms.ModelChoiceField(queryset=None, required=False, empty_label="— no batch —")
    opened = _date_field(initial=timezone.localdate)
    due = _date_field(required=False)
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
    closed = _date_field(initial=timezone.localdate)

    def clean_closed(self):
        closed = self.cleaned_data["closed"]
        if closed > timezone.localdate():
            raise forms.ValidationError("The closing date cannot be in the future.")
        return closed


IMPACT_SCALE = [(1, "1 · very low"), (2, "2 · low"), (3, "3 · medium"), (4, "4 · high"), (5, "5 · very high")]


class RiskForm(forms.Form):
    title = forms.CharField(max_length=200)
    probability = forms.TypedChoiceField(choices=IMPACT_SCALE, coerce=int, initial=3)
    impact = forms.TypedChoiceField(choices=IMPACT_SCALE, coerce=int, initial=3)
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name", "username"),
        required=False,
    )
    mitigation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.INTERNAL)


class IssueRaiseForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.SHARED)

    def __init__(self, *args, for_client: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]  # a client's issue is always shared


class IssueCommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class IssueResolveForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class ProjectCreateForm(forms.Form):
    """A PM opens a project from a template: milestones and checklists follow from the start date."""

    client = forms.ModelChoiceField(queryset=None)
    template = forms.ModelChoiceField(queryset=None, help_text="Milestones, weights and checklists to start from.")
    code = forms.CharField(max_length=30, help_text="Short unique code, e.g. AUR-TT-03.")
    name = forms.CharField(max_length=200)
    product = forms.CharField(max_length=200, required=False)
    start_date = PlausibleDateField()
    target_date = PlausibleDateField(required=False, help_text="Empty: the template's length.")
    budget = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, label="Budget (BAC)")
    contract_value = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = forms.CharField(max_length=3, initial="EUR")

    def __init__(self, *args, **kwargs):
        from clients.models import Client
        from projects.models import ProjectTemplate

        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(active=True)
        self.fields["template"].queryset = ProjectTemplate.objects.filter(active=True)

    def project_fields(self) -> dict:
        data = dict(self.cleaned_data)
        template = data.pop("template")
        if data.get("target_date") is None:
            length = max((m.offset_days + m.duration_days for m in template.milestones.all()), default=0)
            data["target_date"] = data["start_date"] + timezone.timedelta(days=length)
        data["contract_value"] = data.get("contract_value") or 0
        data["currency"] = data["currency"].upper()
        return {"template": template, "service_type": template.service_type, **data}
