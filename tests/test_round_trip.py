"""Every edit form keeps what the user did not change (CONVENTIONS.md, "Round trip").

For every form of the portal: its date inputs render ISO (what ``<input type="date">`` needs) and every
date field is range-checked. For every *edit* form (pre-filled from a record): its editor opens the page,
submits the form exactly as the browser would (values read from the HTML) and nothing is written — no
field, no row, no audit event, no error. Then one changed field changes exactly that field.

A new form class that is not classified below fails ``test_every_form_is_classified``.
"""

import datetime as dt
import importlib
import inspect
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from core.form_fields import ISODateInput, PlausibleDateField
from metrics.scores.models import ScoringPolicy
from projects.milestones import services as milestone_services
from projects.models import Milestone, Project

# --- Which forms exist ------------------------------------------------------------------

#: Forms that edit an existing record and so must round-trip; each has a scenario below.
EDIT_FORMS = {"MilestoneEditForm", "TradeoffForm", "ScoringPolicyForm", "ProjectAdminForm"}
#: Forms that create a record, act or sign (they start empty: nothing to round-trip). Why each is here:
CREATE_OR_ACTION_FORMS = {
    "RebaselineForm",  # proposes a new baseline
    "SignForm",  # an e-signature decision
    "CostEntryForm",
    "CostImportForm",
    "PlanImportForm",  # previews a plan file: writes nothing
    "PlanImportConfirmForm",  # imports the previewed plan once
    "InvoiceForm",
    "ChangeRequestForm",
    "BatchForm",
    "QualityEventForm",
    "QualityEventCloseForm",  # closes an event once
    "RiskForm",
    "IssueRaiseForm",
    "IssueCommentForm",
    "IssueResolveForm",
    "ProjectCreateForm",
    "PlanProjectForm",  # a new project from a plan: previews, then creates once
    "WhatIfForm",  # a calculator: writes nothing
    "SurveyAnswerForm",  # one answer per invitation
    "KpiTargetForm",
    "CertificationForm",
    "AuditReportFilterForm",  # the audit report's filters (GET): writes nothing
    "ProjectListFilterForm",  # the project list's filters (GET): writes nothing
    # The record lists' filters (GET, projects.list_forms.ListFilterForm): they write nothing
    "ListFilterForm",
    "RiskFilterForm",
    "IssueFilterForm",
    "QualityEventFilterForm",
    "CostEntryFilterForm",
    "ChangeRequestFilterForm",
    "NotificationFilterForm",
    "AuditTrailFilterForm",
    "ViewAsStartForm",  # starts "view as client" (cmo_portal.view_as): a security event, edits no record
    "CodeForm",  # the login's second factor, or confirms a new authenticator (tests/clients/test_two_factor.py)
    "PasswordConfirmForm",  # the password re-entered to renew recovery codes or turn two-factor off
    "PasskeyNameForm",  # names the passkey just added, once (tests/clients/test_passkeys.py)
    "DocumentUploadForm",  # adds a document with its first version
    "DocumentVersionForm",  # uploads a new version (it supersedes)
    "DocumentFilterForm",  # the document list's filters (GET): writes nothing
    "SsoStartForm",  # single sign-on: the work e-mail that chooses the provider; writes nothing
    # Single sign-on's admin forms (a provider, its e-mail domains): tests/test_admin.py submits the provider's page
    # unchanged (nothing written) and changed (with a reason), as for every audited model in the admin.
    "OidcProviderForm",
    "SsoDomainForm",
    # The language menu: the same language again writes nothing (tests/test_i18n.py); the reset form sends a mail
    "LanguageForm",
    "LocalisedPasswordResetForm",
    "StatusReportPeriodForm",  # the status report's period (GET), or posted with "Issue to client": a new version
}
APP_PREFIXES = ("clients.", "projects.", "metrics.", "cmo_portal.", "sso.")


ROOT = Path(__file__).resolve().parent.parent


def portal_forms() -> dict[str, type[forms.Form]]:
    for app in ("clients", "projects", "metrics", "cmo_portal", "sso"):  # import every forms module, new ones too
        for path in (ROOT / app).rglob("*forms.py"):
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    found: dict[str, type] = {}
    stack = [forms.Form, forms.ModelForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith(APP_PREFIXES):
                found[sub.__name__] = sub
    return found


def test_every_form_is_classified():
    found = set(portal_forms())
    assert found, "no portal forms were imported"
    unclassified = found - EDIT_FORMS - CREATE_OR_ACTION_FORMS
    assert not unclassified, f"classify these forms in tests/test_round_trip.py (and test them): {unclassified}"
    assert not (EDIT_FORMS | CREATE_OR_ACTION_FORMS) - found, "the lists name forms that no longer exist"
    assert set(SCENARIOS) == EDIT_FORMS


@pytest.mark.parametrize("name", sorted(portal_forms()))
def test_date_inputs_render_iso_and_are_range_checked(name):
    form_class = portal_forms()[name]
    for field_name, field in form_class.base_fields.items():
        if isinstance(field, forms.DateField):
            assert isinstance(field, PlausibleDateField), f"{name}.{field_name}: use PlausibleDateField"
            assert isinstance(field.widget, ISODateInput), f"{name}.{field_name}: use ISODateInput"
            html = field.widget.render(field_name, dt.date(2027, 1, 7))
            assert 'value="2027-01-07"' in html, html
            assert 'type="date"' in html, html
            with pytest.raises(forms.ValidationError):
                field.clean("9999-12-31")
            with pytest.raises(forms.ValidationError):
                field.clean("0001-01-01")
            assert field.clean("2027-01-07") == dt.date(2027, 1, 7)


# --- Reading a form as the browser sends it ------------------------------------------------


class FormReader(HTMLParser):
    """The fields a browser would submit for each ``<form>`` (successful controls only)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "class": a.get("class", ""), "fields": []}
            self.forms.append(self._form)
        if self._form is None or "disabled" in a:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((a["name"], a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "multiple": "multiple" in a, "chosen": [], "first": None}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"].append(value)
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            s = self._select
            chosen = s["chosen"] or ([] if s["multiple"] or s["first"] is None else [s["first"]])
            self._form["fields"].extend((s["name"], v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea[1]
            self._form["fields"].append((self._textarea[0], text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_on_page(html: str, *, action: str | None = None, css_class: str | None = None) -> dict[str, list[str]]:
    reader = FormReader()
    reader.feed(html)
    for form in reader.forms:
        if (action is None or form["action"] == action) and (css_class is None or css_class in form["class"]):
            data: dict[str, list[str]] = {}
            for name, value in form["fields"]:
                data.setdefault(name, []).append(value)
            return data
    raise AssertionError(f"no form (action={action}, class={css_class}) on the page")


def everything_written() -> dict[str, int]:
    """Row counts of every table the portal writes (audit events included), sessions and login logs excluded."""
    skip = {"sessions", "axes", "admin"}
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in skip and not m._meta.proxy
    }


def audit_event_total() -> int:
    import pghistory.models

    return sum(
        m.objects.count()
        for m in apps.get_models()
        if issubclass(m, pghistory.models.Event) and not m._meta.abstract and not m._meta.proxy
    )


def record_state(record) -> dict:
    record.refresh_from_db()
    return model_to_dict(record)


# --- Scenarios: who edits what, where -------------------------------------------------


def milestone_scenario(world):
    """The PM's milestone Update form on the project page, for an open and for a completed milestone."""
    today = timezone.localdate()
    Project.objects.filter(pk=world.project_a.pk).update(start_date=today - dt.timedelta(days=300))
    open_one = world.milestone_a
    Milestone.objects.filter(pk=open_one.pk).update(
        baseline_date=today + dt.timedelta(days=20), forecast_date=today + dt.timedelta(days=36), percent_complete=30
    )
    done = world.internal_milestone_a
    Milestone.objects.filter(pk=done.pk).update(
        baseline_date=today - dt.timedelta(days=40),
        forecast_date=today - dt.timedelta(days=35),
        actual_date=today - dt.timedelta(days=33),
        percent_complete=100,
    )
    page = reverse("project-detail", kwargs={"pk": world.project_a.pk})
    cases = []
    for m in (open_one, done):
        action = reverse("milestone-edit", kwargs={"pk": m.pk})
        cases.append(
            {
                "user": world.pm,
                "page": page,
                "find": {"action": action},
                "post": action,
                "record": m,
                "change": ({f"m{m.pk}-percent_complete": ["40"]}, {"percent_complete", "version"})
                if m is open_one
                else ({f"m{m.pk}-reason": ["Signed off late"]}, set()),
            }
        )
    return cases


def tradeoff_scenario(world):
    page = reverse("project-scores", kwargs={"pk": world.project_a.pk})
    return [
        {
            "user": world.approver_a,
            "page": page,
            "find": {"css_class": "matrix-form"},
            "post": page,
            "record": world.project_a,
            "change": (
                {
                    "time": ["accept" if world.project_a.tradeoff_time != "accept" else "optimize"],
                    "reason": ["Launch date moved"],
                },
                {"tradeoff_time"},
            ),
        }
    ]


def policy_scenario(world):
    page = reverse("scoring-policy")
    policy = ScoringPolicy.objects.current()
    return [
        {
            "user": world.leadership,
            "page": page,
            "find": {"action": ""},
            "post": page,
            "record": policy,
            "change": (
                {"amber_threshold": [str(policy.value("amber_threshold") + Decimal(1))], "note": ["Earlier warning"]},
                None,
            ),
        }
    ]


def project_admin_scenario(world):
    page = reverse("admin:projects_project_change", args=[world.project_a.pk])
    return [
        {
            "user": world.admin,
            "page": page,
            "find": {"action": ""},
            "post": page,
            "record": world.project_a,
            "change": ({"name": ["Aurora renamed"], "reason": ["Client renamed the programme"]}, {"name", "version"}),
        }
    ]


SCENARIOS = {
    "ProjectAdminForm": project_admin_scenario,
    "MilestoneEditForm": milestone_scenario,
    "TradeoffForm": tradeoff_scenario,
    "ScoringPolicyForm": policy_scenario,
}


@pytest.mark.parametrize("name", sorted(EDIT_FORMS))
def test_an_edit_form_submitted_unchanged_writes_nothing_and_one_change_changes_one_field(world, client, name):
    for case in SCENARIOS[name](world):
        client.force_login(case["user"])
        page = client.get(case["page"])
        assert page.status_code == 200
        data = form_on_page(page.content.decode(), **case["find"])
        state, rows, events = record_state(case["record"]), everything_written(), audit_event_total()

        response = client.post(case["post"], data)
        assert response.status_code in (200, 302), response.content.decode()[:3000]
        if response.status_code == 200:
            assert 'class="error' not in response.content.decode(), "an unchanged form answered with an error"
        assert record_state(case["record"]) == state, f"{name}: the unchanged form changed the record"
        assert everything_written() == rows, f"{name}: the unchanged form wrote rows"
        assert audit_event_total() == events, f"{name}: the unchanged form wrote audit events"

        changes, expected_fields = case["change"]
        response = client.post(case["post"], {**data, **changes})
        assert response.status_code in (200, 302), response.content.decode()[:3000]
        if expected_fields is None:  # versioned records: a new version with exactly that value changed
            new = ScoringPolicy.objects.current()
            assert new.version == case["record"].version + 1
            diff = {
                k
                for k in set(new.parameters) | set(state["parameters"])
                if Decimal(str(new.parameters.get(k, new.value(k)))) != case["record"].value(k)
            }
            assert diff == {"amber_threshold"}
            continue
        after = record_state(case["record"])
        changed = {k for k in state if state[k] != after[k]}
        assert changed == expected_fields, f"{name}: changing one field changed {changed}"


def test_completing_a_milestone_keeps_its_forecast(world):
    today = timezone.localdate()
    Project.objects.filter(pk=world.project_a.pk).update(start_date=today - dt.timedelta(days=100))
    m = world.milestone_a
    Milestone.objects.filter(pk=m.pk).update(baseline_date=today, forecast_date=today + dt.timedelta(days=3))
    milestone_services.milestone_update(actor=world.pm, milestone=m, percent_complete=Decimal(100))
    m.refresh_from_db()
    assert m.actual_date == today
    assert m.forecast_date == today + dt.timedelta(days=3)


def test_a_completion_date_before_the_project_start_or_moved_without_reason_is_refused(world):
    from django.core.exceptions import ValidationError

    project = world.project_a
    m = world.milestone_a
    with pytest.raises(ValidationError) as error:
        milestone_services.milestone_update(
            actor=world.pm, milestone=m, actual_date=project.start_date - dt.timedelta(days=1)
        )
    assert "actual_date" in error.value.message_dict
    milestone_services.milestone_update(
        actor=world.pm, milestone=m, actual_date=project.start_date + dt.timedelta(days=5)
    )
    with pytest.raises(ValidationError) as error:
        milestone_services.milestone_update(
            actor=world.pm, milestone=m, actual_date=project.start_date + dt.timedelta(days=6)
        )
    assert "reason" in error.value.message_dict
    milestone_services.milestone_update(
        actor=world.pm, milestone=m, actual_date=project.start_date + dt.timedelta(days=6), reason="Typo in the date"
    )
    m.refresh_from_db()
    assert m.actual_date == project.start_date + dt.timedelta(days=6)


def test_form_classes_are_defined_in_forms_modules():
    for name, cls in portal_forms().items():
        assert inspect.getmodule(cls).__name__.rsplit(".", 1)[-1].endswith("forms"), name


def test_lowering_percent_of_a_completed_milestone_explains_itself_and_writes_nothing(world, client):
    """Found using the demo: the page showed 'Constraint "milestone_complete_when_actual" is violated'."""
    m = world.milestone_a
    today = timezone.localdate()
    Project.objects.filter(pk=world.project_a.pk).update(start_date=today - dt.timedelta(days=100))
    Milestone.objects.filter(pk=m.pk).update(actual_date=today - dt.timedelta(days=2), percent_complete=100)
    client.force_login(world.pm)
    page = client.get(reverse("project-detail", kwargs={"pk": world.project_a.pk})).content.decode()
    action = reverse("milestone-edit", kwargs={"pk": m.pk})
    data = form_on_page(page, action=action)
    before = record_state(m)
    response = client.post(action, {**data, f"m{m.pk}-percent_complete": ["75"]})
    body = response.content.decode()
    assert response.status_code == 400
    assert "clear “Completed on” first" in body
    assert "milestone_complete_when_actual" not in body
    assert record_state(m) == before
