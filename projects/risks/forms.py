"""The risk form."""

from django import forms

from clients.models import STAFF_ROLES, User
from projects.records import Visibility

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
