"""The PM certification form (PM workload page)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import CertificationKind, Role, User
from core.form_fields import PlausibleDateField


class CertificationForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.PROJECT_MANAGER, is_active=True).order_by("full_name", "username"),
        label=_("Project manager"),
    )
    kind = forms.ChoiceField(choices=CertificationKind.choices, label=_("Certificate"))
    issued = PlausibleDateField(label=_("Issued on"))
    expires = PlausibleDateField(required=False, label=_("Expires"))
