"""A signature is bound to its record, signer, printed name, meaning and UTC time, and verified on display
(issue 11, finding 3): copied to another record, edited in the database, or its record changed afterwards,
it shows as such on the page and in the API."""

import pytest
from django.db import connection
from django.urls import reverse

from projects.change_requests import services as change_request_services
from projects.signatures.models import Signature
from projects.signatures.services import canonical_content, content_hash
from tests.clients.factories import PASSWORD
from tests.conftest import api_as


def signed_change(world, project, approver, title="Extra batch"):
    change = change_request_services.change_request_create(actor=world.pm, project=project, title=title)
    change_request_services.change_request_submit(actor=world.pm, change=change)
    change_request_services.change_request_decide(actor=approver, change=change, password=PASSWORD, approve=True)
    change.refresh_from_db()
    return change


def page_and_api(user, change, client) -> tuple[str, list[str]]:
    client.force_login(user)
    page = client.get(reverse("change-request-detail", kwargs={"pk": change.pk})).content.decode()
    data = api_as(user).get(reverse("api:change-request-detail", kwargs={"pk": change.pk})).json()
    return page, [s["verdict"] for s in data["signatures"]]


def as_superuser(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.mark.django_db
def test_a_fresh_signature_verifies_on_the_page_and_in_the_api(world, client):
    change = signed_change(world, world.project_a, world.approver_a)
    page, verdicts = page_and_api(world.approver_a, change, client)
    assert verdicts == ["valid"]
    assert "signature invalid" not in page
    assert "changed since signed" not in page
    signature = Signature.objects.get()
    assert len(signature.binding) == 64


@pytest.mark.django_db
def test_a_signature_copied_to_another_record_with_a_recomputed_hash_shows_invalid(world, client):
    signed_change(world, world.project_a, world.approver_a)
    target = change_request_services.change_request_create(actor=world.pm, project=world.project_b, title="Unsigned")
    change_request_services.change_request_submit(actor=world.pm, change=target)
    source = Signature.objects.get()
    content = canonical_content(target)
    as_superuser(
        "INSERT INTO projects_signature (signer_id, printed_name, signed_at, meaning, project_id, content_type_id,"
        " object_id, content, content_hash, binding) SELECT signer_id, printed_name, signed_at, meaning, %s,"
        " content_type_id, %s, %s::jsonb, %s, binding FROM projects_signature WHERE id = %s",
        [world.project_b.pk, target.pk, __import__("json").dumps(content), content_hash(content), source.pk],
    )
    page, verdicts = page_and_api(world.pm, target, client)
    assert verdicts == ["signature invalid (altered or copied)"]
    assert "signature invalid (altered or copied)" in page


@pytest.mark.django_db
def test_a_signature_edited_in_the_database_shows_invalid(world, client):
    change = signed_change(world, world.project_a, world.approver_a)
    as_superuser("UPDATE projects_signature SET printed_name = 'Someone Else', meaning = 'review'", [])
    _, verdicts = page_and_api(world.pm, change, client)
    assert verdicts == ["signature invalid (altered or copied)"]


@pytest.mark.django_db
def test_a_record_changed_after_signing_shows_changed_since_signed(world, client):
    change = signed_change(world, world.project_a, world.approver_a)
    type(change).objects.filter(pk=change.pk).update(title="Edited after signing")
    page, verdicts = page_and_api(world.pm, change, client)
    assert verdicts == ["changed since signed"]
    assert "changed since signed" in page


@pytest.mark.django_db
def test_the_baselines_page_manifests_each_signature_and_its_verdict(world, client):
    from django.utils import timezone

    from projects.baselines import services as baseline_services
    from projects.milestones.models import Milestone
    from projects.services import project_start

    ahead = timezone.localdate() + __import__("datetime").timedelta(days=60)
    Milestone.objects.filter(project=world.project_a).update(baseline_date=ahead, forecast_date=ahead)
    project_start(actor=world.pm, project=world.project_a)
    baseline = baseline_services.baseline_propose(actor=world.pm, project=world.project_a, reason="Supplier delay")
    baseline_services.baseline_decide(actor=world.approver_a, baseline=baseline, password=PASSWORD, approve=True)
    client.force_login(world.viewer_a)
    url = reverse("project-baselines", kwargs={"pk": world.project_a.pk})
    page = client.get(url).content.decode()
    assert f"signed by {world.approver_a.display_name}" in page
    assert "UTC" in page
    assert "signature invalid" not in page
    as_superuser("UPDATE projects_signature SET meaning = 'review'", [])
    assert "signature invalid (altered or copied)" in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_portfolio_report_and_its_exports_manifest_the_signed_baseline_and_its_verdict(world, client):
    """Issue 11: signatures manifested wherever a signed record appears: the portfolio page, CSV, XLSX, PDF, API."""
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from projects.baselines import services as baseline_services
    from projects.services import project_start
    from tests.metrics.export_job_helpers import export_through_job, portfolio_export_url

    project_start(actor=world.pm, project=world.project_a)
    baseline = baseline_services.baseline_propose(actor=world.pm, project=world.project_a, reason="Supplier delay")
    baseline_services.baseline_decide(actor=world.approver_a, baseline=baseline, password=PASSWORD, approve=True)
    signature = Signature.objects.get(object_id=baseline.pk, content_type__model="baseline")
    expected = f"Baseline {baseline.number}: Approval by {world.approver_a.display_name} at "
    utc = f"{signature.signed_at:%Y-%m-%d %H:%M} UTC"

    client.force_login(world.leadership)
    url = reverse("portfolio")

    def everywhere() -> dict[str, str]:
        pdf = PdfReader(io.BytesIO(export_through_job(client, portfolio_export_url("pdf")).content))
        sheet = load_workbook(io.BytesIO(export_through_job(client, portfolio_export_url("xlsx")).content)).active
        api = api_as(world.leadership).get(reverse("api:portfolio-summary")).json()
        return {
            "page": client.get(url).content.decode(),
            "csv": client.get(url + "?format=csv").getvalue().decode(),
            "xlsx": " ".join(str(c.value) for row in sheet.iter_rows() for c in row),
            "pdf": " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages),
            "api": " ".join(p["baseline"] for p in api["projects"]),
        }

    for where, text in everywhere().items():
        assert expected in text, where
        assert utc in text, where
        assert "signature invalid" not in text, where
    as_superuser("UPDATE projects_signature SET printed_name = 'Someone Else'", [])
    for where, text in everywhere().items():
        assert "[signature invalid (altered or copied)]" in " ".join(text.split()), where
