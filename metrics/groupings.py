"""Groupings and periods of the portfolio reports (satisfaction, Lean): by client, project, PM, service type
or quarter, for one calendar quarter; a PM's report holds only the projects they manage.
"""

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients import access
from metrics.quarters import next_quarter, parse_quarter, previous_quarter, quarter_label, quarter_of, quarter_param

GROUPINGS = {
    "client": ("project__client_id", "project__client__name"),
    "project": ("project_id", "project__code"),
    "manager": ("project__manager_id", "project__manager__full_name", "project__manager__username"),
    "service_type": ("project__service_type",),
    "quarter": (),
}


GROUPING_LABELS = {
    "client": _("Client"),
    "project": _("Project"),
    "manager": _("Project manager"),
    "service_type": _("Service type"),
    "quarter": _("Quarter"),
}


def grouping_or_default(value: str | None, default: str = "client") -> str:
    return value if value in GROUPINGS else default


def group_label(by: str, row: dict, *, prefix: str = "project__") -> tuple[object, str]:
    """The group's key and its words, from a ``values()`` row of any model reached through ``prefix``."""
    from projects.models import ServiceType

    if by == "client":
        return row[f"{prefix}client_id"], row[f"{prefix}client__name"]
    if by == "project":
        return row[f"{prefix[:-2]}_id" if prefix else "id"], row[f"{prefix}code"]
    if by == "manager":
        key = row[f"{prefix}manager_id"]
        if key is None:
            return None, gettext("No manager")
        return key, row[f"{prefix}manager__full_name"] or row[f"{prefix}manager__username"]
    if by == "service_type":
        value = row[f"{prefix}service_type"]
        return value, str(dict(ServiceType.choices).get(value, value))
    return row["quarter"], quarter_label(row["quarter"])


def portfolio_projects(queryset, user, *, project_path: str = "project"):
    """Portfolio reports: leadership and admins see every project, a PM only the projects they manage."""
    if access.sees_own_projects_only(user):
        return queryset.filter(**{f"{project_path}__manager" if project_path else "manager": user})
    return queryset


def report_period(request) -> tuple[str, object]:
    """The grouping (``?by=``, default client) and the quarter (``?quarter=2026Q3``, default this one) asked for."""
    by = grouping_or_default(request.GET.get("by"))
    quarter = parse_quarter(request.GET.get("quarter")) or quarter_of(timezone.now())
    return by, quarter


def report_period_context(by: str, quarter) -> dict:
    """What the period form and the tabs of a report page show (labels, previous and next quarter)."""
    return {
        "by": by,
        "groupings": GROUPING_LABELS,
        "group_label": GROUPING_LABELS[by],
        "quarter": quarter,
        "quarter_label": quarter_label(quarter),
        "quarter_param": quarter_param(quarter),
        "previous_param": quarter_param(previous_quarter(quarter)),
        "previous_label": quarter_label(previous_quarter(quarter)),
        "next_param": quarter_param(next_quarter(quarter)),
        "is_current_quarter": quarter >= quarter_of(timezone.now()),
    }
