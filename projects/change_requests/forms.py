"""The change-request draft form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.change_requests.models import MAX_SCHEDULE_IMPACT_DAYS, ChangeRequestStatus, QualityImpact
from projects.list_forms import ListFilterForm
from projects.milestones.models import Milestone
from projects.pages import money_field


class ChangeRequestForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    description = forms.CharField(required=False, label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    schedule_impact_days = forms.IntegerField(
        initial=0,
        min_value=-MAX_SCHEDULE_IMPACT_DAYS,
        max_value=MAX_SCHEDULE_IMPACT_DAYS,
        label=_("Schedule impact (days)"),
        help_text=_("The forecasts of the milestones it moves shift by this many days."),
    )
    cost_impact = money_field(initial=0, label=_("Cost impact"), help_text=_("Added to the budget on approval."))
    scope_impact = forms.CharField(required=False, label=_("Scope impact"), widget=forms.Textarea(attrs={"rows": 2}))
    scope_impact_percent = forms.DecimalField(
        max_digits=6, decimal_places=2, initial=0, min_value=-100, max_value=1000, label=_("Scope change (%)")
    )
    quality_impact = forms.ChoiceField(
        choices=QualityImpact.choices, initial=QualityImpact.NONE, label=_("Quality impact")
    )
    quality_impact_text = forms.CharField(
        required=False, label=_("Quality impact, in words"), widget=forms.Textarea(attrs={"rows": 2})
    )
    moved_milestones = forms.ModelMultipleChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Milestones it moves"),
        help_text=_("None ticked: every open milestone moves. The client approver sees the list before signing."),
    )

    def __init__(self, *args, open_milestones=None, **kwargs):
        super().__init__(*args, **kwargs)
        if open_milestones is not None:
            self.fields["moved_milestones"].queryset = open_milestones


class ChangeRequestFilterForm(ListFilterForm):
    """The change-request list's filter: status (client users never see drafts, so cannot choose them)."""

    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("Any status")), *ChangeRequestStatus.choices]
    )

    def __init__(self, *args, for_client: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] != ChangeRequestStatus.DRAFT
            ]
