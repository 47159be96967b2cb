"""``portfolio/lean/``: Lean figures grouped by client, project, PM, service type or quarter (staff)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clients import access
from core.filtering import validated_query
from core.serializers import PatternField, StrictSerializer
from metrics.groupings import GROUPINGS
from metrics.lean import counters, measures, selectors
from metrics.quarters import QUARTER_PATTERN, parse_quarter, previous_quarter, quarter_of, quarter_param


class IsPortfolioViewer(permissions.BasePermission):
    """Portfolio reports are for CMO staff (a PM sees the projects they manage)."""

    def has_permission(self, request, view) -> bool:
        return access.can_view_portfolio(request.user)


class LeanQuerySerializer(StrictSerializer):
    by = serializers.ChoiceField(choices=list(GROUPINGS), default="client", help_text=_("Grouping (default client)."))
    quarter = PatternField(QUARTER_PATTERN, required=False, help_text=_("e.g. 2026Q3 (default: this quarter)."))


class LeanFiguresSerializer(StrictSerializer):
    on_time_milestone_rate = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    otif_rate = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    right_first_time_rate = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    mean_phase_days = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    cycle_time_ratio = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    mean_lead_time_days = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    process_cycle_efficiency = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    client_wait_days = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    cmo_wait_days = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    mean_issue_response_hours = serializers.DecimalField(max_digits=14, decimal_places=1, allow_null=True)
    mean_issue_resolution_hours = serializers.DecimalField(max_digits=14, decimal_places=1, allow_null=True)


class LeanGroupSerializer(StrictSerializer):
    key = serializers.CharField(allow_null=True, help_text=_("Id or code of the group (client id, project id…)."))
    label = serializers.CharField()
    projects = serializers.IntegerField(help_text=_("Projects with figures in the quarter."))
    figures = LeanFiguresSerializer(help_text=_("This quarter."))
    previous = LeanFiguresSerializer(help_text=_("The previous quarter."))
    counts = serializers.DictField(child=serializers.CharField(), help_text=_("The counters the figures come from."))


class LeanPortfolioSerializer(StrictSerializer):
    by = serializers.CharField()
    quarter = serializers.CharField()
    previous_quarter = serializers.CharField()
    results = LeanGroupSerializer(many=True)
    portfolio = LeanGroupSerializer(allow_null=True)
    definitions = serializers.ListField(child=serializers.DictField())


def _group(row: selectors.LeanRow) -> dict:
    return {
        "key": None if row.key is None else str(row.key),
        "label": row.label,
        "projects": row.projects,
        "figures": row.figures.as_dict(),
        "previous": measures.lean_figures(row.previous).as_dict(),
        "counts": {name: str(getattr(row.totals, name)) for name in counters.TOTAL_FIELDS},
    }


class LeanPortfolioView(APIView):
    """Lean figures of the portfolio (definitions in docs/lean.md), each with the previous quarter."""

    permission_classes = [IsPortfolioViewer]

    @extend_schema(parameters=[LeanQuerySerializer], responses=LeanPortfolioSerializer)
    def get(self, request):
        query = validated_query(request, LeanQuerySerializer)
        by = query["by"]
        quarter = parse_quarter(query["quarter"]) if "quarter" in query else quarter_of(timezone.now())
        rows = selectors.lean_portfolio(user=request.user, by=by, quarter=quarter)
        body = {
            "by": by,
            "quarter": quarter_param(quarter),
            "previous_quarter": quarter_param(previous_quarter(quarter)),
            "results": [_group(r) for r in rows],
            "portfolio": _group(selectors.portfolio_total(rows)) if rows and by != "quarter" else None,
            "definitions": [
                {"key": m.key, "label": m.label, "unit": m.unit, "better": m.better, "definition": m.definition}
                for m in selectors.metrics_shown()
            ],
        }
        return Response(LeanPortfolioSerializer(body).data)
