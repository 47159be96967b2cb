"""The risk form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import STAFF_ROLES, User
from projects.list_forms import ListFilterForm
from projects.records import Visibility
from projects.risks.models import RiskStatus

IMPACT_SCALE = [
    (1, _("1 · very low")),
    (2, _("2 · low")),
    (3, _("3 · medium")),
    (4, _("4 · high")),
    (5, _("5 · very high")),
]


class RiskForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    probability = forms.TypedChoiceField(choices=IMPACT_SCALE, coerce=int, initial=3, label=_("Probability"))
    impact = forms.TypedChoiceField(choices=IMPACT_SCALE, coerce=int, initial=3, label=_("Impact"))
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("full_name", "username"),
        required=False,
        label=_("Owner"),
    )
    mitigation = forms.CharField(required=False, label=_("Mitigation"), widget=forms.Textarea(attrs={"rows": 2}))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.INTERNAL, label=_("Visibility"))


class RiskFilterForm(ListFilterForm):
    """The register's filters: status, exposure band and (CMO staff) visibility."""

    BANDS = {"high": (15, 25), "medium": (5, 12), "low": (1, 4)}  # heatmap.exposure_band's bands

    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("Open and closed")), *RiskStatus.choices]
    )
    band = forms.ChoiceField(
        required=False,
        label=_("Exposure"),
        choices=[
            ("", _("Any exposure")),
            ("high", _("High (15–25)")),
            ("medium", _("Medium (5–12)")),
            ("low", _("Low (1–4)")),
        ],
    )
    visibility = forms.ChoiceField(
        required=False, label=_("Visibility"), choices=[("", _("Shared and internal")), *Visibility.choices]
    )

    def __init__(self, *args, for_client: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]
