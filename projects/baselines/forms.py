"""The re-baseline form."""

from django import forms
from django.utils.translation import gettext_lazy as _


class RebaselineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
