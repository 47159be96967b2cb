"""The searchable kinds: each is one declared entry of ``KINDS``; the search reads every kind the same way.

A kind names its model (read through ``Model.objects.for_user``), the text columns searched with their weight
(A: what names the record, B: its description, C: the rest), what a result shows, and the page and the API
record that open it. Adding a kind is adding one entry here (docs/architecture.md, "Search").
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from projects.change_requests.models import ChangeRequest
from projects.documents.models import Document
from projects.issues.models import Issue
from projects.milestones.models import Milestone
from projects.quality.models import QualityEvent
from projects.records import Project
from projects.risks.models import Risk


@dataclass(frozen=True)
class SearchKind:
    key: str  # in the API and in ``?kind=``
    label: str  # the group's heading (a lazy text: in the reader's language)
    model: type[models.Model]
    fields: tuple[tuple[str, str], ...]  # (column, weight A/B/C/D), searched as one document
    title: Callable[[models.Model], str]
    page_url: Callable[[models.Model], str]  # the page that shows the record, for the searcher
    api_route: str  # the API's detail route of the record
    select_related: tuple[str, ...] = ("project",)
    context: Callable[[models.Model], str] = lambda record: record.project.code  # the line under the title
    excerpt_field: str = ""  # a longer text shown shortened under the title

    def api_url(self, record: models.Model) -> str:
        return reverse(self.api_route, kwargs={"pk": record.pk})


def _in_project(route: str, anchor: str) -> Callable[[models.Model], str]:
    return lambda record: reverse(route, kwargs={"pk": record.project_id}) + f"#{anchor}-{record.pk}"


KINDS: tuple[SearchKind, ...] = (
    SearchKind(
        key="project",
        label=_("Projects"),
        model=Project,
        fields=(("code", "A"), ("name", "A"), ("product", "B")),
        title=lambda p: f"{p.code} · {p.name}",
        page_url=lambda p: reverse("project-detail", kwargs={"pk": p.pk}),
        api_route="api:project-detail",
        select_related=("client",),
        context=lambda p: " · ".join(part for part in (p.client.name, p.product) if part),
    ),
    SearchKind(
        key="milestone",
        label=_("Milestones"),
        model=Milestone,
        fields=(("name", "A"),),
        title=lambda m: m.name,
        page_url=_in_project("project-detail", "ms"),
        api_route="api:milestone-detail",
    ),
    SearchKind(
        key="change_request",
        label=_("Change requests"),
        model=ChangeRequest,
        fields=(("title", "A"), ("description", "B"), ("scope_impact", "C"), ("quality_impact_text", "C")),
        title=lambda c: f"CR-{c.number}: {c.title}",
        page_url=lambda c: reverse("change-request-detail", kwargs={"pk": c.pk}),
        api_route="api:change-request-detail",
        excerpt_field="description",
    ),
    SearchKind(
        key="issue",
        label=_("Issues"),
        model=Issue,
        fields=(("title", "A"), ("description", "B"), ("resolution", "C")),
        title=lambda i: i.title,
        page_url=lambda i: reverse("issue-detail", kwargs={"pk": i.pk}),
        api_route="api:issue-detail",
        excerpt_field="description",
    ),
    SearchKind(
        key="risk",
        label=_("Risks"),
        model=Risk,
        fields=(("title", "A"), ("mitigation", "B")),
        title=lambda r: r.title,
        page_url=_in_project("project-risks", "risk"),
        api_route="api:risk-detail",
        excerpt_field="mitigation",
    ),
    SearchKind(
        key="quality_event",
        label=_("Quality events"),
        model=QualityEvent,
        fields=(("reference", "A"), ("title", "A")),
        title=lambda e: f"{e.reference} · {e.title}",
        page_url=_in_project("project-quality", "qe"),
        api_route="api:quality-event-detail",
    ),
    SearchKind(
        key="document",
        label=_("Documents"),
        model=Document,
        fields=(("title", "A"), ("text", "B")),  # the current version's text, read at upload
        title=lambda d: d.title,
        page_url=lambda d: reverse("document-detail", kwargs={"pk": d.pk}),
        api_route="api:document-detail",
    ),
)

BY_KEY: dict[str, SearchKind] = {kind.key: kind for kind in KINDS}
