"""Small defects of issue 9 item 7 in metrics: NPS 0, the trend's time axis, the PDF's rows, texts and labels."""

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import matplotlib
import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from metrics.portfolio.exports import portfolio_pdf, portfolio_pdf_document
from metrics.portfolio.selectors import PortfolioRow
from metrics.scores import services
from metrics.scores.charts import score_trend_svg, trend_x_limits
from metrics.scores.models import POLICY_PARAMETER_TEXTS, POLICY_PARAMETERS, ScoreSnapshot
from projects.models import Notification
from projects.quality import services as quality_services
from projects.risks import services as risk_services
from tests.clients.factories import ClientFactory
from tests.metrics.factories import make_invitation, make_response
from tests.projects.factories import ProjectFactory

UTC = dt.UTC

# --- NPS 0 is a score, not "no data" -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["leadership", "approver_a"])
def test_an_nps_of_exactly_zero_shows_as_zero(world, client, who):
    # Given: one promoter and one detractor this quarter: NPS = 50 % − 50 % = 0.
    make_response(world.project_a, world.viewer_a, nps=10, overall=5)
    make_response(world.project_a, world.viewer_a, nps=5, overall=3)
    client.force_login(getattr(world, who))

    body = client.get(reverse("survey-list")).content.decode()

    assert "<strong>0.0</strong>" in body
    assert "<strong>—</strong>" not in body


@pytest.mark.django_db
def test_an_nps_without_answers_still_shows_a_dash(world, client):
    make_invitation(world.project_b, world.viewer_b)  # invited, not answered: no NPS yet
    client.force_login(world.leadership)

    body = client.get(reverse("survey-list")).content.decode()

    assert world.client_b.name in body
    assert "<strong>—</strong>" in body


# --- The score trend's time axis ends now at the latest ----------------------------------------------

NOW = dt.datetime(2026, 11, 24, 10, 7, tzinfo=UTC)
BUCKET = dt.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_one_snapshot_gets_a_days_window_that_ends_now_not_in_the_future():
    start, end = trend_x_limits([BUCKET], now=NOW)

    assert end == NOW
    assert start == NOW - dt.timedelta(days=1)


def test_a_long_series_runs_from_its_first_bucket_to_the_end_of_its_last_period():
    times = [BUCKET - dt.timedelta(days=10), BUCKET - dt.timedelta(days=3)]

    start, end = trend_x_limits(times, now=NOW)

    assert (start, end) == (times[0], times[-1] + dt.timedelta(minutes=15))
    assert end <= NOW


@pytest.mark.parametrize("hours", [0, 1, 5, 23, 24, 240])
def test_the_axis_never_runs_past_now_and_always_holds_every_point(hours):
    times = [BUCKET - dt.timedelta(hours=hours), BUCKET]

    start, end = trend_x_limits(times, now=NOW)

    assert start <= min(times)
    assert max(times) <= end <= NOW
    assert end - start >= dt.timedelta(days=1)


def test_the_rendered_trend_labels_no_time_after_now():
    # Given: one fresh snapshot; tick labels written as SVG text so they can be read.
    snapshot = SimpleNamespace(
        project_id=990001, bucket=BUCKET, computed_at=timezone.now(), risk_score=Decimal("42.5"), tradeoff_score=70
    )

    with matplotlib.rc_context({"svg.fonttype": "none"}):
        svg = score_trend_svg([snapshot], amber=35, red=60, now=NOW)

    labels = re.findall(r">\s*(\d{2} \w{3} \d{2}:\d{2})\s*<", svg)
    assert labels, "the time axis has labels"
    times = [dt.datetime.strptime(f"{label} {NOW.year}", "%d %b %H:%M %Y").replace(tzinfo=UTC) for label in labels]
    assert max(times) <= NOW


# --- The portfolio PDF keeps every row whole ------------------------------------------------------------


def _table_rows(box):
    """(is_header, row box) for every table row laid out in a page box."""
    for child in getattr(box, "children", None) or []:
        if type(child).__name__ == "TableRowGroupBox":
            for row in child.children:
                yield child.is_header, row
        else:
            yield from _table_rows(child)


def test_the_portfolio_pdf_never_splits_a_row_across_pages_and_repeats_the_heads():
    # Given: a large portfolio whose rows take two to four lines.
    rows = [
        PortfolioRow(
            project_id=n,
            code=f"PRJ-{n:04d}",
            name=f"Tech transfer of product {n} to the Basel suite",
            client="Aurora Biologics",
            manager="Pat Manager",
            service_type="tech_transfer",
            status="active",
            risk_score=Decimal("61.25"),
            tradeoff_score=Decimal("40"),
            rag="red",
            spi=Decimal("0.90"),
            cpi=Decimal("0.85"),
            overdue_milestones=2,
            open_critical_events=0,
            pending_change_requests=1,
            top_reason="3 milestones late, 17 days on average (worst 30); SPI 0.90. " * (1 + n % 3),
        )
        for n in range(120)
    ]
    user = SimpleNamespace(display_name="Lee Leader")

    # When
    document = portfolio_pdf_document(rows, user=user, chart="")

    # Then: each body row lies on exactly one page, and every page starts with the column heads.
    pages_of_row: dict[int, set[int]] = {}
    assert len(document.pages) > 3
    for number, page in enumerate(document.pages):
        laid_out = list(_table_rows(page._page_box))
        assert [is_header for is_header, _ in laid_out][:1] == [True], f"page {number + 1} has the column heads"
        for is_header, row in laid_out:
            if not is_header:
                pages_of_row.setdefault(id(row.element), set()).add(number)
    assert len(pages_of_row) == len(rows)
    split = [pages for pages in pages_of_row.values() if len(pages) > 1]
    assert split == []
    assert portfolio_pdf(rows, user=user, chart="").startswith(b"%PDF")


# --- Texts ----------------------------------------------------------------------------------------------


def _worsen(world) -> None:
    for n in range(3):
        risk_services.risk_create(actor=world.pm, project=world.project_a, title=f"Risk {n}", probability=5, impact=5)
    for severity in ("critical", "major"):
        quality_services.quality_event_create(
            actor=world.pm,
            project=world.project_a,
            reference=f"DEV-{severity}",
            title="Bioburden excursion",
            kind="deviation",
            severity=severity,
            opened=dt.date(2026, 11, 1),
        )


@pytest.mark.django_db
def test_the_worse_rag_alert_gives_a_whole_risk_score_and_whole_sentences(world):
    services.scores_recompute(project_ids=[world.project_a.pk], now=NOW)
    _worsen(world)
    later = NOW + dt.timedelta(minutes=15)

    services.scores_recompute(project_ids=[world.project_a.pk], now=later)

    snapshot = ScoreSnapshot.objects.get(project=world.project_a, lens="cmo", bucket=services.bucket_of(later))
    reasons = [f["text"] for f in snapshot.result["factors"][:2] if Decimal(f["stress"]) > 0]
    assert len(reasons) == 2, "two reasons to join"
    text = Notification.objects.get(kind="rag_worsened", recipient=world.pm).text
    whole = snapshot.risk_score.quantize(Decimal(1), ROUND_HALF_UP)
    assert text == f"{world.project_a.code} is now {snapshot.rag.upper()} (risk {whole}). {reasons[0]} {reasons[1]}"
    assert ".;" not in text
    assert re.search(r"\(risk \d+\)", text)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Aurora Biologics", "Aurora Biologics’"),
        ("ACME LABS", "ACME LABS’"),
        ("Borealis Pharma", "Borealis Pharma’s"),
        ("<b>Evil</b> Co", "&lt;b&gt;Evil&lt;/b&gt; Co’s"),
        ("", ""),
    ],
)
def test_possessive_of_a_name(name, expected):
    rendered = Template("{% load possessive %}{{ name|possessive }}").render(Context({"name": name}))

    assert rendered == expected


@pytest.mark.django_db
def test_the_scores_page_titles_the_priorities_of_a_client_whose_name_ends_in_s(world, client):
    project = ProjectFactory(client=ClientFactory(name="Aurora Biologics", slug="aurora-bio"), manager=world.pm)
    client.force_login(world.pm)

    body = client.get(reverse("project-scores", args=[project.pk])).content.decode()

    assert "Aurora Biologics’ priorities" in body
    assert "Biologics's" not in body


def test_every_policy_parameter_has_a_label_and_a_help_text_of_its_own():
    assert set(POLICY_PARAMETER_TEXTS) == set(POLICY_PARAMETERS)
    labels = [label for label, _ in POLICY_PARAMETER_TEXTS.values()]
    assert len(set(labels)) == len(labels)
    for name, (label, help_text) in POLICY_PARAMETER_TEXTS.items():
        assert label != name.replace("_", " ").capitalize(), name
        assert help_text.endswith("."), name


@pytest.mark.django_db
def test_the_scoring_policy_form_shows_human_labels_with_units(world, client):
    client.force_login(world.leadership)

    body = client.get(reverse("scoring-policy")).content.decode()

    for label, help_text in POLICY_PARAMETER_TEXTS.values():
        assert str(label) in body
        assert escape(str(help_text)) in body
    assert "SPI floor" in body
    assert "Slip for full time stress (days)" in body
    assert "Spi floor" not in body
    assert "Slip days for full stress" not in body
