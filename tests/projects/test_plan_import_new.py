"""A new project from a plan (issue 15, part 5): the project-create fields plus a Microsoft Project XML or CSV file →
a preview of the project and its milestones (writes nothing) → confirm with a reason: the project and its milestones
in one transaction, audited. A bad file line, a bad project field, another client's or an inactive client's id, or a
stale preview creates nothing and says which line or field.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pghistory.models import Events

from projects.milestones import plan_import
from projects.milestones.plan_import import PlanPreview, PlanRow
from projects.models import Milestone, MilestoneDependency, Project
from projects.plan_imports import services
from tests.clients.factories import ClientFactory
from tests.projects.test_plan_import import BAD_FILES, SAMPLE_PLAN_MILESTONES, imported, line_of, mspdi, upload

URL = "/projects/new/from-plan/"
REASON = "Kick-off plan agreed with Aurora (MS Project v3)"


def fields(world, **changes) -> dict:
    values = {
        "client": world.client_a.pk,
        "code": "AUR-PLAN-01",
        "name": "Aurora plan project",
        "product": "mAb-7",
        "service_type": "tech_transfer",
        "start_date": "",
        "target_date": "",
        "budget": "850000.00",
        "contract_value": "",
        "currency": "eur",
    }
    return values | changes


def preview(page, world, text=None, *, filename="plan.xml", scope="milestones", **changes):
    data = {"action": "preview", "file": upload(mspdi() if text is None else text, filename), "scope": scope}
    return page.post(URL, data | fields(world, **changes))


def confirm(page, digest, reason=REASON, **extra):
    return page.post(URL, {"action": "import", "digest": digest, "reason": reason, **extra})


def digest_of(response) -> str:
    return response.context["confirm_form"].initial["digest"]


RECORDS = ("projects.Project", "projects.Milestone", "projects.MilestoneDependency")


def counts() -> tuple[int, int, int, int]:
    """Projects, milestones, dependencies and their audit events (a login writes events of its own)."""
    return (
        Project.objects.count(),
        Milestone.objects.count(),
        MilestoneDependency.objects.count(),
        Events.objects.filter(pgh_obj_model__in=RECORDS).count(),
    )


def test_the_page_url_and_the_links_from_the_create_page_and_the_list(world, client):
    assert reverse("plan-import-new") == URL
    client.force_login(world.pm)
    assert client.get(URL).status_code == 200
    assert URL in client.get(reverse("project-create")).content.decode()
    assert URL in client.get(reverse("project-list")).content.decode()
    client.force_login(world.leadership)  # may not create projects: neither link nor page
    assert URL not in client.get(reverse("project-list")).content.decode()
    assert client.get(URL).status_code == 404


def test_a_new_project_from_ms_project_xml_with_dates_dependencies_and_the_reason(world, client):
    client.force_login(world.pm)
    before = counts()
    response = preview(client, world)
    assert response.status_code == 200
    body = response.content.decode()
    for shown in ("Project to be created", "AUR-PLAN-01", world.client_a.name, "04 Jan 2027", "30 Jun 2027"):
        assert shown in body
    assert "GMP batch 1 released" in body
    assert "SS link from task 6" in body  # the warning, with its line
    assert counts() == before  # the preview writes nothing

    response = confirm(client, digest_of(response))
    project = Project.objects.get(code="AUR-PLAN-01")
    assert response.status_code == 302
    assert response["Location"] == reverse("project-detail", kwargs={"pk": project.pk})
    assert (project.client, project.manager, project.name, project.product) == (
        world.client_a,
        world.pm,
        "Aurora plan project",
        "mAb-7",
    )
    assert (project.service_type, project.currency, project.budget) == ("tech_transfer", "EUR", Decimal("850000.00"))
    # Empty dates: the plan's first day (its first task's start) and last finish.
    assert (project.start_date, project.target_date) == (dt.date(2027, 1, 4), dt.date(2027, 6, 30))
    assert imported(project) == SAMPLE_PLAN_MILESTONES
    milestones = list(project.milestones.order_by("sequence"))
    assert [m.sequence for m in milestones] == [1, 2, 3]
    assert sum(m.weight for m in milestones) == Decimal("0.9999")  # equal shares: the project had none
    # Every record created carries the reason in its audit event: the project, each milestone and dependency.
    links = list(MilestoneDependency.objects.filter(successor__project=project))
    assert len(links) == 3
    for record in [project, *milestones, *links]:
        (event,) = [e for e in Events.objects.references([record]) if e.pgh_obj_id == str(record.pk)]
        assert event.pgh_label == "insert"
        assert event.pgh_context["reason"] == REASON
        assert (event.pgh_context["user"], event.pgh_context["channel"]) == (world.pm.pk, "page")
    # The held preview is gone: confirming again creates nothing more.
    assert confirm(client, response.wsgi_request.POST["digest"]).status_code == 302
    assert Project.objects.filter(name="Aurora plan project").count() == 1


def test_given_dates_and_a_csv_plan(world, client):
    client.force_login(world.pm)
    text = "id,name,finish,predecessors\nA,Kick-off,2027-01-04,\nB,PPQ complete,2027-05-01,A\n"
    response = preview(client, world, text, filename="plan.csv", start_date="2026-12-01", target_date="2027-09-30")
    assert response.status_code == 200
    assert confirm(client, digest_of(response)).status_code == 302
    project = Project.objects.get(code="AUR-PLAN-01")
    assert (project.start_date, project.target_date) == (dt.date(2026, 12, 1), dt.date(2027, 9, 30))
    assert imported(project)["PPQ complete"]["after"] == ["Kick-off"]


@pytest.mark.parametrize("case", ["bad date", "cycle", "not well-formed", "entity bomb"])
def test_a_bad_file_creates_no_project_and_no_milestone_and_names_the_line(world, client, case):
    text, marker, message = BAD_FILES[case]
    client.force_login(world.pm)
    before = counts()
    response = preview(client, world, text)
    assert response.status_code == 400
    body = response.content.decode()
    assert f"Line {line_of(text, marker)}" in body
    assert message.replace("“", "&ldquo;")[:20] in body or message[:20] in body
    assert "Nothing will be created" in body
    assert response.context["confirm_form"] is None
    assert 'value="import"' not in body
    assert counts() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "AAA-OPEN-01"}, "code", "already exists"),  # world.project_a's code
        ({"name": ""}, "name", "required"),
        ({"budget": "-1"}, "budget", "greater than or equal to 0"),
        ({"start_date": "2027-03-01", "target_date": "2027-02-01"}, "target_date", "cannot be before"),
        ({"target_date": "2026-06-30"}, "target_date", "cannot be before the start date (2027-01-04)"),
        ({"start_date": "1999-01-01"}, "start_date", ""),
        ({"service_type": "brewing"}, "service_type", "valid choice"),
    ],
)
def test_an_invalid_project_field_creates_nothing_and_names_the_field(world, client, changes, field, message):
    client.force_login(world.pm)
    before = counts()
    response = preview(client, world, **changes)
    assert response.status_code == 400
    errors = response.context["project_form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert response.context["confirm_form"] is None
    assert counts() == before


def test_an_inactive_or_unknown_client_is_refused(world, client):
    offboarded = ClientFactory(name="Offboarded Pharma", slug="offboarded", active=False)
    client.force_login(world.pm)
    before = counts()
    for client_id in (offboarded.pk, 987654):
        response = preview(client, world, client=client_id)
        assert response.status_code == 400
        assert "client" in response.context["project_form"].errors
    assert offboarded.name not in client.get(URL).content.decode()  # not offered either
    assert counts() == before


@pytest.mark.parametrize("who", ["viewer_a", "approver_a", "viewer_b", "leadership"])
def test_client_users_and_leadership_get_404_and_create_nothing(world, client, who):
    user = getattr(world, who)
    client.force_login(user)
    before = counts()
    own_or_other = world.client_b.pk if who != "viewer_b" else world.client_a.pk  # another tenant's client id
    assert client.get(URL).status_code == 404
    assert preview(client, world, client=own_or_other).status_code == 404
    assert confirm(client, "0" * 64).status_code == 404
    assert counts() == before


def test_a_stale_or_foreign_preview_creates_nothing(world, client):
    client.force_login(world.pm)
    first = digest_of(preview(client, world))
    second = digest_of(preview(client, world, code="AUR-PLAN-02"))  # a second preview (another tab) replaces it
    before = counts()
    response = confirm(client, first)
    assert response.status_code == 302
    assert response["Location"] == URL
    assert counts() == before
    assert confirm(client, "0" * 64).status_code == 302
    assert counts() == before
    # Another user's session holds nothing: the digest alone creates nothing.
    client.force_login(world.admin)
    assert confirm(client, second).status_code == 302
    assert counts() == before


def test_what_the_browser_sends_on_confirm_cannot_change_the_previewed_project(world, client):
    client.force_login(world.pm)
    digest = digest_of(preview(client, world))
    response = confirm(client, digest, code="HACKED-01", client=world.client_b.pk, budget="1.00")
    assert response.status_code == 302
    project = Project.objects.get(code="AUR-PLAN-01")
    assert (project.client, project.budget) == (world.client_a, Decimal("850000.00"))
    assert not Project.objects.filter(code="HACKED-01").exists()


def test_a_code_taken_or_a_client_deactivated_after_the_preview_creates_nothing(world, client):
    client.force_login(world.pm)
    digest = digest_of(preview(client, world))
    other = Project.objects.get(pk=world.project_b.pk)
    other.code = "AUR-PLAN-01"  # another PM took the code meanwhile
    other.save()
    before = counts()
    response = confirm(client, digest)
    assert response.status_code == 400
    assert "code" in response.context["project_form"].errors
    assert response.context["confirm_form"] is None  # preview again with another code
    assert counts() == before

    digest = digest_of(preview(client, world, code="AUR-PLAN-03"))
    world.client_a.active = False
    world.client_a.save()
    before = counts()
    response = confirm(client, digest)
    assert response.status_code == 400
    assert "client" in response.context["project_form"].errors
    assert counts() == before


def test_the_reason_is_required(world, client):
    client.force_login(world.pm)
    digest = digest_of(preview(client, world))
    before = counts()
    response = confirm(client, digest, reason="   ")
    assert response.status_code == 400
    assert "reason" in response.context["confirm_form"].errors
    assert "Project to be created" in response.content.decode()
    assert counts() == before
    assert confirm(client, digest).status_code == 302  # still held: confirming with a reason creates it
    assert Project.objects.filter(code="AUR-PLAN-01").exists()


# --- The service ------------------------------------------------------------------------------------------------


def _project_fields(world, **changes) -> dict:
    return {
        "client": world.client_a,
        "code": "AUR-SVC-01",
        "name": "Service project",
        "service_type": "tech_transfer",
        "budget": Decimal("1000.00"),
    } | changes


def test_the_service_is_all_or_nothing_when_the_milestones_fail_after_the_project_was_written(world):
    """A row the parser would refuse (a 201-character name), given to the service directly: the project insert
    already ran when the milestones' checks refuse the row, and nothing remains."""
    row = PlanRow(line=7, key="1", name="x" * 201, start=None, finish=dt.date(2027, 3, 1), predecessors=())
    plan = PlanPreview(source="CSV", rows=(row,), errors=(), warnings=(), tasks_read=1)
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.project_create_from_plan(actor=world.pm, plan=plan, reason="x", **_project_fields(world))
    assert error.value.message_dict["file"][0].startswith("Line 7, name:")
    assert counts() == before


def test_the_service_refuses_other_roles_a_bad_plan_and_a_missing_reason(world):
    good = plan_import.read_plan(mspdi().encode())
    bad = plan_import.read_plan(BAD_FILES["cycle"][0].encode())
    before = counts()
    for user in (world.viewer_a, world.leadership):
        with pytest.raises(PermissionDenied):
            services.project_create_from_plan(actor=user, plan=good, reason="x", **_project_fields(world))
    with pytest.raises(ValidationError) as error:
        services.project_create_from_plan(actor=world.pm, plan=bad, reason="x", **_project_fields(world))
    assert "cycle" in error.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as error:
        services.project_create_from_plan(actor=world.pm, plan=good, reason=" ", **_project_fields(world))
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.project_create_from_plan(
            actor=world.pm, plan=good, reason="x", **_project_fields(world, status="active")
        )
    assert "status" in error.value.message_dict
    assert counts() == before
