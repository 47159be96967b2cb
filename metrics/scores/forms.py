"""Forms of the score pages: the client's priorities, the what-if calculator, a new scoring policy version."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from metrics.scores.models import POLICY_PARAMETER_TEXTS, POLICY_PARAMETERS
from projects.models import QualityImpact, TradeoffLevel

DIMENSIONS = ("time", "scope", "quality", "cost")


class TradeoffForm(forms.Form):
    time = forms.ChoiceField(choices=TradeoffLevel.choices, widget=forms.RadioSelect, label=_("Time"))
    scope = forms.ChoiceField(choices=TradeoffLevel.choices, widget=forms.RadioSelect, label=_("Scope"))
    quality = forms.ChoiceField(choices=TradeoffLevel.choices, widget=forms.RadioSelect, label=_("Quality"))
    cost = forms.ChoiceField(choices=TradeoffLevel.choices, widget=forms.RadioSelect, label=_("Cost"))
    reason = forms.CharField(
        required=False,  # required by the service when the priorities change
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": _("Why these priorities?")}),
    )

    def matrix(self) -> dict[str, str]:
        return {d: self.cleaned_data[d] for d in DIMENSIONS}


class WhatIfForm(forms.Form):
    schedule_impact_days = forms.IntegerField(initial=0, min_value=-365, max_value=730, label=_("Schedule (days)"))
    cost_impact = forms.DecimalField(initial=0, max_digits=14, decimal_places=2, label=_("Cost"))
    scope_impact_percent = forms.DecimalField(
        initial=0, max_digits=6, decimal_places=2, min_value=-100, max_value=100, label=_("Scope (%)")
    )
    quality_impact = forms.ChoiceField(choices=QualityImpact.choices, initial="none", label=_("Quality impact"))


class ScoringPolicyForm(forms.Form):
    """One field per policy parameter, pre-filled with the current version's values."""

    note = forms.CharField(
        required=False,  # required by the service when a parameter changes
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Why this change?"),
    )

    def __init__(self, *args, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in POLICY_PARAMETERS:
            label, help_text = POLICY_PARAMETER_TEXTS[name]
            self.fields[name] = forms.DecimalField(
                max_digits=10,
                decimal_places=4,
                min_value=Decimal(0),
                initial=policy.value(name) if policy else None,
                label=label,
                help_text=help_text,
            )
        self.order_fields([*POLICY_PARAMETERS, "note"])

    def parameters(self) -> dict[str, str]:
        return {name: str(self.cleaned_data[name]) for name in POLICY_PARAMETERS}

    def parameters_equal(self, policy) -> bool:
        """True when every submitted value equals ``policy``'s (the form was sent back unchanged)."""
        return all(self.cleaned_data[name] == policy.value(name) for name in POLICY_PARAMETERS)
