from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.form_fields import PlausibleDateField
from projects.list_forms import ListFilterForm
from projects.records import Project


class ProjectCreateForm(forms.Form):
    """A PM opens a project from a template: milestones and checklists follow from the start date."""

    client = forms.ModelChoiceField(queryset=None, label=_("Client"))
    template = forms.ModelChoiceField(
        queryset=None, label=_("Template"), help_text=_("Milestones, weights and checklists to start from.")
    )
    code = forms.CharField(max_length=30, label=_("Code"), help_text=_("Short unique code, e.g. AUR-TT-03."))
    name = forms.CharField(max_length=200, label=_("Name"))
    product = forms.CharField(max_length=200, required=False, label=_("Product"))
    start_date = PlausibleDateField(label=_("Start date"))
    target_date = PlausibleDateField(
        required=False, label=_("Target date"), help_text=_("Empty: the template's length.")
    )
    budget = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, label=_("Budget (BAC)"))
    contract_value = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, label=_("Contract value")
    )
    currency = forms.CharField(max_length=3, initial="EUR", label=_("Currency"))

    def __init__(self, *args, **kwargs):
        from clients.models import Client
        from projects.plan_templates.models import ProjectTemplate

        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(active=True)
        self.fields["template"].queryset = ProjectTemplate.objects.filter(active=True)

    def project_fields(self) -> dict:
        data = dict(self.cleaned_data)
        template = data.pop("template")
        if data.get("target_date") is None:
            length = max((m.offset_days + m.duration_days for m in template.milestones.all()), default=0)
            data["target_date"] = data["start_date"] + timezone.timedelta(days=length)
        data["contract_value"] = data.get("contract_value") or 0
        data["currency"] = data["currency"].upper()
        return {"template": template, "service_type": template.service_type, **data}


class ProjectAdminForm(forms.ModelForm):
    """The admin's project form: what changes goes through ``project_update`` with the reason the trail records."""

    start_date = PlausibleDateField(label=_("Start date"))
    target_date = PlausibleDateField(label=_("Target date"))
    reason = forms.CharField(
        required=False,
        max_length=500,
        label=_("Reason"),
        help_text=_("Required when you change anything: it goes into the audit trail."),
    )

    class Meta:
        model = Project
        fields = [
            "client",
            "code",
            "name",
            "product",
            "service_type",
            "manager",
            "status",
            "start_date",
            "target_date",
            "budget",
            "contract_value",
            "currency",
            "tradeoff_time",
            "tradeoff_scope",
            "tradeoff_quality",
            "tradeoff_cost",
        ]
        labels = {
            "client": _("Client"),
            "code": _("Code"),
            "name": _("Name"),
            "product": _("Product"),
            "service_type": _("Service type"),
            "manager": _("Manager"),
            "status": _("Status"),
            "budget": _("Budget"),
            "contract_value": _("Contract value"),
            "currency": _("Currency"),
            "tradeoff_time": _("Tradeoff time"),
            "tradeoff_scope": _("Tradeoff scope"),
            "tradeoff_quality": _("Tradeoff quality"),
            "tradeoff_cost": _("Tradeoff cost"),
        }

    def clean(self):
        data = super().clean()
        if self.instance.pk and self.changed_data and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why you change this project (GxP audit trail)."))
        return data


class ProjectListFilterForm(forms.Form):
    """The project list's filters and sort order (GET): writes nothing. Client users get no client/PM filter."""

    SORTS = {
        "attention": _("Needs attention"),
        "risk": _("Risk, highest first"),
        "due": _("Next milestone due"),
        "code": _("Project code"),
        "client": _("Client"),
    }
    RAGS = (
        ("", _("Any risk")),
        ("red", _("Red")),
        ("amber", _("Amber")),
        ("green", _("Green")),
        ("none", _("Not scored")),
    )

    q = forms.CharField(required=False, max_length=100, label=_("Search"), help_text=_("Code, name or product"))
    # Typed, not picked from a list: a portfolio has hundreds of clients and PMs, and a select of every one of
    # them made the page's size and time grow with the portfolio (issue 13). A link may still name one by id.
    client = forms.CharField(
        required=False,
        max_length=100,
        label=_("Client"),
        help_text=_("Name or part of it"),
        widget=forms.TextInput({"placeholder": _("Any client")}),
    )
    service_type = forms.ChoiceField(required=False, label=_("Service"))
    manager = forms.CharField(
        required=False,
        max_length=100,
        label=_("PM"),
        help_text=_("Name or part of it"),
        widget=forms.TextInput({"placeholder": _("Any PM")}),
    )
    status = forms.ChoiceField(required=False, label=_("Status"))
    rag = forms.ChoiceField(required=False, choices=RAGS, label=_("Risk"))
    overdue = forms.BooleanField(required=False, label=_("Overdue only"))
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()), label=_("Sort"))

    def __init__(self, *args, user, **kwargs):
        from projects.records import ProjectStatus, ServiceType

        super().__init__(*args, **kwargs)
        self.fields["service_type"].choices = [("", _("All services")), *ServiceType.choices]
        self.fields["status"].choices = [("", _("Any status")), *ProjectStatus.choices]
        if getattr(user, "is_client_user", False):
            del self.fields["client"], self.fields["manager"]
            self.fields["sort"].choices = [(k, v) for k, v in self.SORTS.items() if k != "client"]
            self.default_sort = "attention"  # a client's few projects: what needs them first
        else:
            # Staff read the whole portfolio: riskiest first (a join on the current score), listed first so the
            # select shows what the list does. _("Needs attention") orders every project by its open milestones.
            self.default_sort = "risk"
            self.fields["sort"].choices = [("risk", self.SORTS["risk"])] + [
                (k, v) for k, v in self.SORTS.items() if k != "risk"
            ]

    @staticmethod
    def _named(value: str, by_id, unknown):
        """``("id", pk)`` for a number that names an existing record, else ``("name", text)``; ``unknown``: the
        error for a number that names none (``%(number)s`` in it)."""
        value = " ".join(value.split())
        if value.isdigit():
            if len(value) > 18 or not by_id(int(value)):
                raise forms.ValidationError(unknown % {"number": value[:20]})
            return ("id", int(value))
        return ("name", value) if value else None

    def clean_client(self):
        from clients.models import Client

        return self._named(
            self.cleaned_data["client"],
            lambda pk: Client.objects.filter(pk=pk).exists(),
            _("No client has the number %(number)s."),
        )

    def clean_manager(self):
        from clients.models import User

        return self._named(
            self.cleaned_data["manager"],
            lambda pk: User.objects.filter(pk=pk).exists(),
            _("No PM has the number %(number)s."),
        )


class AuditTrailFilterForm(ListFilterForm):
    """The project audit trail's filter: one record type (``record_types``: event models by the record's label)."""

    record_type = forms.ChoiceField(required=False, label=_("Record type"))

    def __init__(self, *args, record_types: dict, **kwargs):
        super().__init__(*args, **kwargs)
        names = {label: capfirst(str(m.pgh_tracked_model._meta.verbose_name)) for label, m in record_types.items()}
        choices = sorted(names.items(), key=lambda choice: choice[1])
        self.fields["record_type"].choices = [("", _("Every record type")), *choices]
