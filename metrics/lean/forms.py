"""The client KPI target form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from metrics.lean.models import KpiMetric


class KpiTargetForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.filter(active=True).order_by("name"))
    metric = forms.ChoiceField(choices=KpiMetric.choices)
    target = forms.DecimalField(max_digits=8, decimal_places=2, help_text=_("e.g. 95 for OTIF ≥ 95 %"))
    active = forms.BooleanField(required=False, initial=True, label=_("Active"))
