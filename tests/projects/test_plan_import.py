"""Plan import: Microsoft Project XML (MSPDI) or CSV → milestones with dates and finish-to-finish dependencies.

Preview writes nothing; the import is all or nothing with the audit reason; a bad file imports nothing and
names its line; only the project's manager (and administrators) reach the page.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pghistory.models import Events

from projects.milestones import plan_import
from projects.milestones import services as milestone_services
from projects.models import Milestone, MilestoneDependency
from tests.projects.factories import BaselineFactory

# --- A small MS Project plan, written for these tests ----------------------------------------------------

HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Project xmlns="http://schemas.microsoft.com/project">\n'
)


#: The sample MS Project plan's milestones as imported: dates, no duration, finish-to-finish predecessors.
SAMPLE_PLAN_MILESTONES = {
    "Tech transfer complete": {
        "due": dt.date(2027, 2, 26),
        "baseline": dt.date(2027, 2, 26),
        "days": 0,
        "after": [],
    },
    "Engineering batch released": {
        "due": dt.date(2027, 4, 30),
        "baseline": dt.date(2027, 4, 30),
        "days": 0,
        "after": ["Tech transfer complete"],
    },
    "GMP batch 1 released": {
        "due": dt.date(2027, 6, 30),
        "baseline": dt.date(2027, 6, 30),
        "days": 0,
        "after": ["Engineering batch released", "Tech transfer complete"],
    },
}


def task(uid, name, start, finish, *, milestone=False, summary=False, outline="", links=()):
    """One <Task> on one line (so its line is easy to find); ``links``: (predecessor UID, MS Project type)."""
    link_xml = "".join(
        f"<PredecessorLink><PredecessorUID>{p}</PredecessorUID><Type>{t}</Type><LinkLag>0</LinkLag></PredecessorLink>"
        for p, t in links
    )
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineNumber>{outline}</OutlineNumber>"
        f"<Start>{start}T08:00:00</Start><Finish>{finish}T17:00:00</Finish>"
        f"<Milestone>{int(milestone)}</Milestone><Summary>{int(summary)}</Summary>"
        f"<ExtendedAttribute><FieldID>1</FieldID><Value>ignored</Value></ExtendedAttribute>{link_xml}</Task>\n"
    )


FF, FS, SF, SS = 0, 1, 2, 3
TASKS = [
    task(0, "Whole project (MS Project's project summary)", "2027-01-04", "2027-06-30", summary=True, outline="0"),
    task(1, "Tech transfer", "2027-01-04", "2027-02-26", summary=True, outline="1"),
    task(2, "Process review", "2027-01-04", "2027-02-12", outline="1.1"),
    task(3, "Tech transfer complete", "2027-02-26", "2027-02-26", milestone=True, outline="1.2", links=[(2, FS)]),
    task(4, "Engineering", "2027-03-01", "2027-04-30", summary=True, outline="2"),
    task(5, "Engineering batch", "2027-03-01", "2027-04-23", outline="2.1", links=[(3, FS)]),
    task(6, "Engineering batch released", "2027-04-30", "2027-04-30", milestone=True, outline="2.2", links=[(5, FF)]),
    task(7, "GMP batch 1 released", "2027-06-30", "2027-06-30", milestone=True, outline="3", links=[(6, SS), (4, FS)]),
]


def mspdi(tasks=TASKS) -> str:
    return HEAD + "<Name>Aurora plan</Name>\n<Tasks>\n" + "".join(tasks) + "</Tasks>\n</Project>\n"


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the first line holding ``marker``."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if marker in line)


def upload(text: str | bytes, name="plan.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)


def url(project) -> str:
    return reverse("plan-import", kwargs={"pk": project.pk})


def preview(client, project, text, *, name="plan.xml", scope="milestones", replace=False):
    data = {"action": "preview", "file": upload(text, name), "scope": scope}
    if replace:
        data["replace"] = "on"
    return client.post(url(project), data)


def confirm(client, project, digest, reason="Plan agreed at kick-off (MS Project v3)"):
    return client.post(url(project), {"action": "import", "digest": digest, "reason": reason})


def imported(project) -> dict[str, dict]:
    milestones = Milestone.objects.filter(project=project).order_by("sequence")
    links = MilestoneDependency.objects.filter(successor__project=project).values_list(
        "predecessor__name", "successor__name"
    )
    return {
        m.name: {
            "due": m.forecast_date,
            "baseline": m.baseline_date,
            "days": m.duration_days,
            "after": sorted(p for p, s in links if s == m.name),
        }
        for m in milestones
    }


# --- Reading the file (no database) -----------------------------------------------------------------------


def test_mspdi_milestones_with_dates_and_dependencies_through_tasks_and_summaries():
    text = mspdi()
    plan = plan_import.read_plan(text.encode(), filename="plan.xml")
    assert plan.errors == ()
    assert [(r.key, r.name, r.finish, r.line) for r in plan.rows] == [
        ("3", "Tech transfer complete", dt.date(2027, 2, 26), line_of(text, "<UID>3<")),
        ("6", "Engineering batch released", dt.date(2027, 4, 30), line_of(text, "<UID>6<")),
        ("7", "GMP batch 1 released", dt.date(2027, 6, 30), line_of(text, "<UID>7<")),
    ]
    # 6 ← (FF) task 5 ← (FS) 3; 7 ← (FS) summary 4, which finishes with its sub-tasks 5 (← 3) and 6.
    assert [r.predecessors for r in plan.rows] == [(), ("3",), ("3", "6")]
    # The start-to-start link is reported with its line, not imported.
    (warning,) = plan.warnings
    assert warning.startswith(f"Line {line_of(text, '<UID>7<')}, task 7")
    assert "SS link from task 6" in warning


def test_every_task_scope_imports_the_tasks_too_but_never_summaries():
    plan = plan_import.read_plan(mspdi().encode(), filename="plan.xml", scope="tasks")
    assert plan.errors == ()
    assert {r.key: r.predecessors for r in plan.rows} == {
        "2": (),
        "3": ("2",),
        "5": ("3",),
        "6": ("5",),
        "7": ("5", "6"),
    }
    assert {r.key: r.duration_days for r in plan.rows}["2"] == 39


def test_csv_rows_are_milestones_with_their_predecessors():
    text = (
        "id,name,start,finish,predecessors\n"
        "A,Kick-off,,2027-01-04,\n"
        "B,Tech transfer,2027-01-04,2027-02-26,A\n"
        "C,PPQ,,2027-05-01,A;B\n"
    )
    plan = plan_import.read_plan(text.encode(), filename="plan.csv")
    assert plan.errors == ()
    assert [(r.line, r.name, r.finish, r.predecessors) for r in plan.rows] == [
        (2, "Kick-off", dt.date(2027, 1, 4), ()),
        (3, "Tech transfer", dt.date(2027, 2, 26), ("A",)),
        (4, "PPQ", dt.date(2027, 5, 1), ("A", "B")),
    ]


def _with_task(index, new_task):
    tasks = list(TASKS)
    tasks[index] = new_task
    return mspdi(tasks)


BAD_FILES = {
    "bad date": (
        _with_task(6, task(6, "Engineering batch released", "2027-04-30", "2027-02-30", milestone=True, outline="2.2")),
        "<UID>6<",
        "finish “2027-02-30T17:00:00” is not a date",
    ),
    "date out of range": (
        _with_task(3, task(3, "Tech transfer complete", "1999-02-26", "1999-02-26", milestone=True, outline="1.2")),
        "<UID>3<",
        "start 1999-02-26 is outside",
    ),
    "unknown predecessor": (
        _with_task(
            6, task(6, "Engineering batch released", "2027-04-30", "2027-04-30", milestone=True, links=[(99, FS)])
        ),
        "<UID>6<",
        "the predecessor 99 is not a task of this file",
    ),
    "cycle": (
        _with_task(3, task(3, "Tech transfer complete", "2027-02-26", "2027-02-26", milestone=True, links=[(7, FS)])),
        "<UID>3<",
        "the dependencies form a cycle: Tech transfer complete",
    ),
    "duplicate UID": (
        _with_task(5, task(3, "Engineering batch", "2027-03-01", "2027-04-23", outline="2.1")),
        "<Name>Engineering batch<",
        "the UID 3 is used twice",
    ),
    "no name": (
        _with_task(3, task(3, "", "2027-02-26", "2027-02-26", milestone=True, outline="1.2")),
        "<UID>3<",
        "the task has no name",
    ),
    "not well-formed": (
        mspdi().replace("<Name>Engineering</Name>", "<Name>Engineering</Nme>"),
        "<UID>4<",
        "not well-formed",
    ),
    "entity bomb": (
        HEAD.replace(
            "<Project", '<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>\n<Project'
        )
        + "<Tasks><Task><UID>1</UID><Name>&b;</Name></Task></Tasks></Project>",
        "<!DOCTYPE",
        "declares a document type (DOCTYPE)",
    ),
    "external entity": (
        '<?xml version="1.0"?>\n<!DOCTYPE Project SYSTEM "file:///etc/passwd">\n<Project/>',
        "<!DOCTYPE",
        "declares a document type",
    ),
    "other XML": ('<?xml version="1.0"?>\n\n<html><body/></html>', "<html>", "not a Microsoft Project XML"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_gives_no_rows_to_import_and_names_the_line(case):
    text, marker, message = BAD_FILES[case]
    plan = plan_import.read_plan(text.encode(), filename="plan.xml")
    assert not plan.importable
    assert any(e.startswith(f"Line {line_of(text, marker)}") and message in e for e in plan.errors), plan.errors


def test_the_unknown_predecessor_names_the_line_of_its_link():
    text = mspdi(
        [
            task(1, "A", "2027-01-04", "2027-01-04", milestone=True),
            task(2, "B", "2027-01-05", "2027-01-05", milestone=True, links=[(1, FS), (42, FS)]),
        ]
    )
    (error,) = plan_import.read_plan(text.encode()).errors
    assert error.startswith(f"Line {line_of(text, '<UID>2<')}, task 2 “B”: the predecessor 42")


def test_too_many_tasks_and_too_large_files_are_refused():
    many = [
        task(n, f"M{n}", "2027-01-04", "2027-01-04", milestone=True) for n in range(1, plan_import.MAX_PLAN_TASKS + 2)
    ]
    text = mspdi(many)
    (error,) = plan_import.read_plan(text.encode()).errors
    first_too_many = line_of(text, f"<UID>{plan_import.MAX_PLAN_TASKS + 1}<")
    assert error == f"Line {first_too_many}: the plan has more than 2,000 tasks; import it in parts."
    (error,) = plan_import.read_plan(b" " * (plan_import.MAX_PLAN_BYTES + 1)).errors
    assert error == "The file is larger than 2 MB."
    assert "Save As › XML" in plan_import.read_plan(b"\xd0\xcf\x11\xe0", filename="plan.mpp").errors[0]


def test_csv_errors_name_the_line_and_a_missing_column_line_one():
    text = "id,name,finish,predecessors\n1,Kick-off,2027-01-04,\n2,Tech transfer,26/02/2027,1\n3,PPQ,2027-05-01,7\n"
    assert plan_import.read_plan(text.encode(), filename="p.csv").errors == (
        "Line 3, task 2 “Tech transfer”: finish “26/02/2027” is not a date (YYYY-MM-DD).",
        "Line 4, task 3 “PPQ”: the predecessor 7 is not a task of this file.",
    )
    assert plan_import.read_plan(b"id,title\n1,x\n", filename="p.csv").errors == (
        "Line 1: the header lacks the column(s) name, finish (expected id,name,start,finish,predecessors).",
    )


# --- The page: preview, confirm, refusals -------------------------------------------------------------------


def test_preview_writes_nothing_and_the_import_creates_milestones_with_dates_dependencies_and_reason(world, client):
    client.force_login(world.pm)
    before, events_before = imported(world.project_a), Events.objects.count()
    response = preview(client, world.project_a, mspdi())
    assert response.status_code == 200
    body = response.content.decode()
    assert "GMP batch 1 released" in body
    assert "30 Jun 2027" in body
    assert "SS link from task 6" in body
    assert imported(world.project_a) == before
    assert Events.objects.count() == events_before

    response = confirm(client, world.project_a, response.context["confirm_form"].initial["digest"])
    assert response.status_code == 302
    rows = imported(world.project_a)
    new = {name: row for name, row in rows.items() if name not in before}
    assert new == SAMPLE_PLAN_MILESTONES
    created = list(Milestone.objects.filter(project=world.project_a, name__in=new).order_by("sequence"))
    assert [m.sequence for m in created] == [3, 4, 5]  # after the project's two
    assert {m.weight for m in created} == {Decimal(0)}  # the project had milestones: the PM sets weights
    for milestone in created:
        (event,) = [e for e in Events.objects.references([milestone]) if e.pgh_obj_model == "projects.Milestone"]
        assert event.pgh_label == "insert"
        assert event.pgh_context["reason"] == "Plan agreed at kick-off (MS Project v3)"
        assert (event.pgh_context["user"], event.pgh_context["channel"]) == (world.pm.pk, "page")
    assert world.project_a.__class__.objects.get(pk=world.project_a.pk).scores_stale
    # The held file is gone: confirming again imports nothing more.
    assert confirm(client, world.project_a, response.wsgi_request.POST["digest"]).status_code == 302
    assert len(imported(world.project_a)) == len(rows)


def test_a_bad_file_imports_nothing_and_the_page_names_the_line(world, client):
    client.force_login(world.pm)
    text, marker, message = BAD_FILES["bad date"]
    response = preview(client, world.project_a, text)
    assert response.status_code == 400
    body = response.content.decode()
    assert f"Line {line_of(text, marker)}, task 6" in body
    assert "Nothing will be imported" in body
    assert response.context["confirm_form"] is None
    assert 'value="import"' not in body
    assert Milestone.objects.filter(project=world.project_a).count() == 2


def test_csv_import_through_the_page(world, client):
    client.force_login(world.pm)
    text = "id,name,finish,predecessors\nA,Kick-off,2027-01-04,\nB,PPQ complete,2027-05-01,A\n"
    response = preview(client, world.project_a, text, name="plan.csv")
    assert response.status_code == 200
    confirm(client, world.project_a, response.context["confirm_form"].initial["digest"], reason="CSV plan v1")
    assert imported(world.project_a)["PPQ complete"]["after"] == ["Kick-off"]


def test_the_reason_is_required_and_a_foreign_digest_imports_nothing(world, client):
    client.force_login(world.pm)
    digest = preview(client, world.project_a, mspdi()).context["confirm_form"].initial["digest"]
    response = confirm(client, world.project_a, digest, reason="  ")
    assert response.status_code == 400
    assert Milestone.objects.filter(project=world.project_a).count() == 2
    response = confirm(client, world.project_a, "0" * 64)
    assert response.status_code == 302
    assert Milestone.objects.filter(project=world.project_a).count() == 2
    # The file is held per project: confirming it on another project of the PM's imports nothing there.
    assert confirm(client, world.project_b, digest).status_code == 302
    assert Milestone.objects.filter(project=world.project_b).count() == 1


def test_replace_swaps_the_milestones_before_start_and_is_refused_after(world, client):
    client.force_login(world.pm)
    digest = preview(client, world.project_a, mspdi(), replace=True).context["confirm_form"].initial["digest"]
    assert confirm(client, world.project_a, digest).status_code == 302
    created = Milestone.objects.filter(project=world.project_a).order_by("sequence")
    assert [m.name for m in created] == ["Tech transfer complete", "Engineering batch released", "GMP batch 1 released"]
    assert sum(m.weight for m in created) == Decimal("0.9999")  # equal shares of an empty project

    BaselineFactory(project=world.project_a, created_by=world.pm)
    digest = preview(client, world.project_a, mspdi(), replace=True).context["confirm_form"].initial["digest"]
    response = confirm(client, world.project_a, digest)
    assert response.status_code == 400
    assert "has started" in response.content.decode()
    assert Milestone.objects.filter(project=world.project_a).count() == 3


@pytest.mark.parametrize("who", ["viewer_a", "approver_a", "other_pm", "leadership", "viewer_b"])
def test_only_the_projects_manager_reaches_the_page(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get(url(world.project_a)).status_code == 404
    assert preview(client, world.project_a, mspdi()).status_code == 404
    assert confirm(client, world.project_a, "0" * 64).status_code == 404
    assert Milestone.objects.filter(project=world.project_a).count() == 2


def test_the_manager_sees_the_link_and_a_client_does_not(world, client):
    client.force_login(world.pm)
    assert (
        url(world.project_a)
        in client.get(reverse("project-detail", kwargs={"pk": world.project_a.pk})).content.decode()
    )
    client.force_login(world.viewer_a)
    assert (
        url(world.project_a)
        not in client.get(reverse("project-detail", kwargs={"pk": world.project_a.pk})).content.decode()
    )


# --- The service ------------------------------------------------------------------------------------------------


def test_the_service_refuses_another_pm_a_plan_with_errors_and_a_missing_reason(world):
    good = plan_import.read_plan(mspdi().encode())
    bad = plan_import.read_plan(BAD_FILES["cycle"][0].encode())
    with pytest.raises(PermissionDenied):
        milestone_services.milestones_import_plan(actor=world.other_pm, project=world.project_a, plan=good, reason="x")
    with pytest.raises(ValidationError) as error:
        milestone_services.milestones_import_plan(actor=world.pm, project=world.project_a, plan=bad, reason="x")
    assert "cycle" in error.value.message_dict["file"][0]
    with pytest.raises(ValidationError) as error:
        milestone_services.milestones_import_plan(actor=world.pm, project=world.project_a, plan=good, reason="")
    assert "reason" in error.value.message_dict
    assert Milestone.objects.filter(project=world.project_a).count() == 2
