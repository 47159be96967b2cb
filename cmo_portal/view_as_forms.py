"""The form that starts "view as client" (cmo_portal.view_as): which approver of the client to view as."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ViewAsStartForm(forms.Form):
    user = forms.IntegerField(min_value=1, max_value=2**63 - 1, error_messages={"required": _("Choose an approver.")})
    next = forms.CharField(required=False, max_length=2000)
