"""The new project's fields for a plan import: the project-create form, with the service type in place of a template
(the plan brings the milestones) and the dates defaulting to the plan's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.form_fields import PlausibleDateField
from projects.forms import ProjectCreateForm
from projects.plan_imports.services import PROJECT_FIELDS
from projects.records import ServiceType


class PlanProjectForm(ProjectCreateForm):
    """``ProjectCreateForm`` without its template; ``user`` narrows the clients to the active ones in their scope."""

    service_type = forms.ChoiceField(choices=ServiceType.choices, label=_("Service type"))
    start_date = PlausibleDateField(required=False, label=_("Start date"), help_text=_("Empty: the plan's first day."))
    target_date = PlausibleDateField(
        required=False, label=_("Target date"), help_text=_("Empty: the plan's last finish.")
    )
    field_order = list(PROJECT_FIELDS)

    def __init__(self, *args, user=None, **kwargs):
        from clients.models import Client

        super().__init__(*args, **kwargs)
        del self.fields["template"]
        if user is not None:
            self.fields["client"].queryset = Client.objects.for_user(user).filter(active=True)

    def clean(self):
        data = super().clean()
        start, target = data.get("start_date"), data.get("target_date")
        if start and target and target < start:
            self.add_error("target_date", _("The target date cannot be before the start date."))
        return data

    def project_fields(self) -> dict:
        """The fields for ``project_create_from_plan`` (empty dates: the plan's, filled by the service)."""
        data = dict(self.cleaned_data)
        data["contract_value"] = data.get("contract_value") or 0
        data["currency"] = data["currency"].upper()
        return data
