from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clients.models import Client, User
from metrics.scores.models import ScoreSnapshot
from metrics.surveys.models import SurveyResponse
from projects.models import ChangeRequest, Milestone, Project, ProjectTemplate


def counts() -> dict[str, int]:
    figures = {
        model.__name__: model.objects.count()
        for model in (Client, User, Project, Milestone, ProjectTemplate, ChangeRequest, SurveyResponse)
    }
    # Snapshots are per 15-minute bucket: a rerun across a bucket boundary adds one per project, by design.
    figures["scored projects"] = ScoreSnapshot.objects.values("project").distinct().count()
    return figures


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins():
    out = StringIO()
    call_command("seed_demo", "--password", "another-demo-pass", stdout=out)
    first = counts()
    assert first["Client"] == 3
    assert first["Project"] == 6
    assert first["ProjectTemplate"] >= 4
    assert first["ChangeRequest"] >= 1
    assert first["scored projects"] == Project.objects.filter(status="active").count()
    text = out.getvalue()
    for username in ("admin", "lead", "pm.alice", "aurora.viewer", "aurora.approver"):
        assert username in text
    assert User.objects.get(username="aurora.approver").check_password("another-demo-pass")

    call_command("seed_demo", "--password", "another-demo-pass", stdout=StringIO())
    assert counts() == first


@pytest.mark.django_db
def test_seed_demo_refuses_a_short_password():
    with pytest.raises(CommandError, match="at least 8"):
        call_command("seed_demo", "--password", "short")
    assert Project.objects.count() == 0
