"""The project list as a person works it: filtered, sorted and paginated in the database, with the summary of
the whole filtered set (issue 13). Used by the staff project list and the client dashboard.

A page holds at most ``PAGE_SIZE`` rows whatever the portfolio size; the queries are a fixed number (the
summary, the page count, the page rows, and the filter choices).
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q
from django.utils import timezone

from projects.forms import ProjectListFilterForm
from projects.models import Milestone
from projects.selectors import project_list

PAGE_SIZE = 50

ORDERINGS = {
    "attention": (F("overdue_count").desc(nulls_last=True), F("next_milestone_date").asc(nulls_last=True), "code"),
    "risk": (F("risk_score").desc(nulls_last=True), "code"),
    "due": (F("next_milestone_date").asc(nulls_last=True), "code"),
    "code": ("code",),
    "client": ("client__name", "code"),
}


@dataclass
class ProjectListing:
    form: ProjectListFilterForm
    page: Page
    summary: dict
    filtered: bool

    @property
    def projects(self):
        return self.page.object_list


def project_listing(*, user, params, mine: bool = False) -> ProjectListing:
    """Projects in ``user``'s scope filtered by ``params`` (a QueryDict); invalid filters are shown as form
    errors and ignored (the list then shows everything), never a 500."""
    form = ProjectListFilterForm(params, user=user)
    projects = project_list(user=user, mine=mine)
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("q"):
        q = data["q"]
        projects = projects.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(product__icontains=q))
    for field, names in (("client", ("client__name",)), ("manager", ("manager__full_name", "manager__username"))):
        if data.get(field):
            kind, value = data[field]
            if kind == "id":
                projects = projects.filter(**{f"{field}_id": value})
            else:
                matches = Q()
                for name in names:
                    matches |= Q(**{f"{name}__icontains": value})
                projects = projects.filter(matches)
    for field in ("service_type", "status"):
        if data.get(field):
            projects = projects.filter(**{field: data[field]})
    if data.get("rag") == "none":
        projects = projects.filter(rag__isnull=True)
    elif data.get("rag"):
        projects = projects.filter(rag=data["rag"])
    # Late projects as one uncorrelated set (hashed once), not a count per project, for the filter and the tile.
    late = Milestone.objects.for_user(user).filter(actual_date__isnull=True, forecast_date__lt=timezone.localdate())
    late = late.values("project_id")
    if data.get("overdue"):
        projects = projects.filter(pk__in=late)
    summary = projects.order_by().aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(pk__in=late)),
        red=Count("pk", filter=Q(rag="red")),
        amber=Count("pk", filter=Q(rag="amber")),
        green=Count("pk", filter=Q(rag="green")),
    )
    projects = projects.order_by(*ORDERINGS[data.get("sort") or form.default_sort])
    paginator = Paginator(projects, PAGE_SIZE)
    paginator.count = summary["total"]  # counted with the summary: one query fewer
    page = paginator.get_page(params.get("page"))
    filtered = any(v not in (None, "", False) for k, v in data.items() if k != "sort")
    return ProjectListing(form=form, page=page, summary=summary, filtered=filtered)
