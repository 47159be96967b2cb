"""The re-baseline form."""

from django import forms


class RebaselineForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
