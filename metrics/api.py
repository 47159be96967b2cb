"""API of satisfaction surveys, the Lean portfolio report and PM certifications.

* ``surveys/``: the caller's survey invitations (a client user sees only those addressed to them;
  CMO staff see every invitation, for response rates) and ``surveys/{id}/answer/``.
* ``survey-responses/``: answers; a client sees its own client's satisfaction history only.
* ``portfolio/lean/``: Lean figures grouped by client, project, PM, service type or quarter (staff).
* ``pm-certifications/``: PM certificates and training (staff; leadership and admins record them).

Scoping comes from ``for_user``; permission classes check the role for the action; services write.
"""

from django.http import Http404
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from clients import access
from clients.models import PMCertification, Role, User
from core.api import IdFilter, RolePermission, ScopedReadOnlyViewSet
from metrics import lean, lean_rollup, pm_excellence, surveys
from metrics.models import SurveyInvitation, SurveyResponse
from metrics.quarters import parse_quarter, previous_quarter, quarter_of, quarter_param
from metrics.satisfaction import GROUPINGS

# --- Surveys ---------------------------------------------------------------------------------------


class SurveyInvitationFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id", help_text="Only invitations of this project.")
    client = IdFilter(field_name="project__client_id", help_text="Only invitations of this client's projects.")

    class Meta:
        model = SurveyInvitation
        fields = ["project", "client", "status"]


class SurveyResponseFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id", help_text="Only answers about this project.")
    client = IdFilter(field_name="project__client_id", help_text="Only answers about this client's projects.")
    quarter = filters.CharFilter(method="filter_quarter", help_text="A quarter, e.g. 2026Q3.")
    follow_up = filters.BooleanFilter(
        field_name="issue", lookup_expr="isnull", exclude=True, help_text="true: answers that opened an issue."
    )

    class Meta:
        model = SurveyResponse
        fields = ["project", "client", "quarter", "follow_up"]

    def filter_quarter(self, queryset, name, value):
        quarter = parse_quarter(value)
        if quarter is None:
            raise serializers.ValidationError({"quarter": ["Give a quarter such as 2026Q3."]})
        return queryset.filter(quarter=quarter)


class SurveyInvitationSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    trigger = serializers.CharField(source="round.trigger", read_only=True, help_text="milestone | quarterly")
    milestone_name = serializers.SerializerMethodField(help_text="The milestone whose completion opened the round.")
    quarter = serializers.SerializerMethodField(help_text="The round's quarter, e.g. 2026Q3.")
    answer_url = serializers.SerializerMethodField(
        help_text="The signed link to answer in the portal (only for the invitee, while open)."
    )

    class Meta:
        model = SurveyInvitation
        fields = [
            "id",
            "project",
            "project_code",
            "project_name",
            "trigger",
            "milestone_name",
            "quarter",
            "status",
            "sent_at",
            "reminded_at",
            "expires_at",
            "answered_at",
            "answer_url",
        ]
        read_only_fields = fields

    def get_milestone_name(self, obj) -> str | None:
        return obj.round.milestone.name if obj.round.milestone_id else None

    def get_quarter(self, obj) -> str:
        return quarter_param(obj.round.quarter)

    def get_answer_url(self, obj) -> str | None:
        request = self.context.get("request")
        if request is None or obj.recipient_id != request.user.pk or obj.status != "open":
            return None
        if obj.expires_at <= timezone.now():
            return None
        return request.build_absolute_uri(surveys.invitation_url(obj))


class SurveyAnswerSerializer(serializers.Serializer):
    csat_communication = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very poor) .. 5.")
    csat_responsiveness = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very poor) .. 5.")
    csat_quality = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very poor) .. 5.")
    csat_schedule = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very poor) .. 5.")
    csat_overall = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very poor) .. 5.")
    nps = serializers.IntegerField(min_value=0, max_value=10, help_text="Likelihood to recommend, 0 .. 10.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class SurveyResponseSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    respondent_name = serializers.CharField(source="respondent.display_name", read_only=True)
    quarter = serializers.SerializerMethodField(help_text="e.g. 2026Q3.")

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "invitation",
            "project",
            "project_code",
            "quarter",
            "answered_at",
            "respondent_name",
            "csat_communication",
            "csat_responsiveness",
            "csat_quality",
            "csat_schedule",
            "csat_overall",
            "nps",
            "comment",
            "issue",
        ]
        read_only_fields = fields
        extra_kwargs = {"issue": {"help_text": "The shared issue opened to follow up a low score, if any."}}

    def get_quarter(self, obj) -> str:
        return quarter_param(obj.quarter)


class CanAnswerSurveys(RolePermission):
    """Reading is scoped; only client users (viewer or approver) answer, and only their own invitations."""

    write_check = staticmethod(access.is_client_user)


class SurveyInvitationViewSet(ScopedReadOnlyViewSet):
    """Survey invitations: a client user's own; CMO staff see every invitation (response rates)."""

    queryset = SurveyInvitation.objects.select_related("project", "round", "round__milestone")
    serializer_class = SurveyInvitationSerializer
    filterset_class = SurveyInvitationFilter
    permission_classes = [CanAnswerSurveys]
    ordering_fields = ["sent_at", "expires_at"]

    @extend_schema(request=SurveyAnswerSerializer, responses={201: SurveyResponseSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer the invitation, once. Answered or expired → 400 with a message; nothing is written."""
        invitation = self.get_object()
        if invitation.recipient_id != request.user.pk:
            raise Http404
        data = SurveyAnswerSerializer(data=request.data)
        surveys.invitation_check_open(actor=request.user, invitation=invitation)
        data.is_valid(raise_exception=True)
        answers = dict(data.validated_data)
        comment = answers.pop("comment", "")
        response = surveys.survey_answer(actor=request.user, invitation=invitation, answers=answers, comment=comment)
        return Response(SurveyResponseSerializer(response).data, status=status.HTTP_201_CREATED)


class SurveyResponseViewSet(ScopedReadOnlyViewSet):
    """Survey answers: a client sees its own satisfaction history; CMO staff see every client's."""

    queryset = SurveyResponse.objects.select_related("project", "respondent")
    serializer_class = SurveyResponseSerializer
    filterset_class = SurveyResponseFilter
    ordering_fields = ["answered_at", "nps", "csat_overall"]


# --- Lean portfolio --------------------------------------------------------------------------------


class IsPortfolioViewer(permissions.BasePermission):
    """Portfolio reports are for CMO staff (a PM sees the projects they manage)."""

    def has_permission(self, request, view) -> bool:
        return access.can_view_portfolio(request.user)


class LeanFiguresSerializer(serializers.Serializer):
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


class LeanGroupSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="Id or code of the group (client id, project id…).")
    label = serializers.CharField()
    projects = serializers.IntegerField(help_text="Projects with figures in the quarter.")
    figures = LeanFiguresSerializer(help_text="This quarter.")
    previous = LeanFiguresSerializer(help_text="The previous quarter.")
    counts = serializers.DictField(child=serializers.CharField(), help_text="The counters the figures come from.")


class LeanPortfolioSerializer(serializers.Serializer):
    by = serializers.CharField()
    quarter = serializers.CharField()
    previous_quarter = serializers.CharField()
    results = LeanGroupSerializer(many=True)
    portfolio = LeanGroupSerializer(allow_null=True)
    definitions = serializers.ListField(child=serializers.DictField())


def _group(row: lean_rollup.LeanRow) -> dict:
    return {
        "key": None if row.key is None else str(row.key),
        "label": row.label,
        "projects": row.projects,
        "figures": row.figures.as_dict(),
        "previous": lean.lean_figures(row.previous).as_dict(),
        "counts": {name: str(getattr(row.totals, name)) for name in lean.TOTAL_FIELDS},
    }


class LeanPortfolioView(APIView):
    """Lean figures of the portfolio (definitions in docs/lean.md), each with the previous quarter."""

    permission_classes = [IsPortfolioViewer]

    @extend_schema(
        parameters=[
            OpenApiParameter("by", OpenApiTypes.STR, enum=list(GROUPINGS), description="Grouping (default client)."),
            OpenApiParameter("quarter", OpenApiTypes.STR, description="e.g. 2026Q3 (default: this quarter)."),
        ],
        responses=LeanPortfolioSerializer,
    )
    def get(self, request):
        by = request.query_params.get("by", "client")
        if by not in GROUPINGS:
            raise serializers.ValidationError({"by": [f"Choose one of {', '.join(GROUPINGS)}."]})
        text = request.query_params.get("quarter")
        quarter = parse_quarter(text) if text else quarter_of(timezone.now())
        if quarter is None:
            raise serializers.ValidationError({"quarter": ["Give a quarter such as 2026Q3."]})
        rows = lean_rollup.lean_portfolio(user=request.user, by=by, quarter=quarter)
        body = {
            "by": by,
            "quarter": quarter_param(quarter),
            "previous_quarter": quarter_param(previous_quarter(quarter)),
            "results": [_group(r) for r in rows],
            "portfolio": _group(lean_rollup.portfolio_total(rows)) if rows and by != "quarter" else None,
            "definitions": [
                {"key": m.key, "label": m.label, "unit": m.unit, "better": m.better, "definition": m.definition}
                for m in lean.METRICS
            ],
        }
        return Response(LeanPortfolioSerializer(body).data)


# --- PM certifications ------------------------------------------------------------------------------


class CanRecordCertifications(permissions.BasePermission):
    """CMO staff read (a PM their own); leadership and admins record."""

    def has_permission(self, request, view) -> bool:
        if not access.is_staff_user(request.user):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return pm_excellence.can_record_certification(request.user)


class PMCertificationSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.PROJECT_MANAGER), help_text="Id of the project manager."
    )
    user_name = serializers.CharField(source="user.display_name", read_only=True)
    current = serializers.SerializerMethodField(help_text="Issued and not expired today.")

    class Meta:
        model = PMCertification
        fields = ["id", "user", "user_name", "kind", "issued", "expires", "current"]
        read_only_fields = ["id"]

    def get_current(self, obj) -> bool:
        return pm_excellence.is_current(obj, timezone.localdate())


class PMCertificationFilter(filters.FilterSet):
    user = IdFilter(field_name="user_id", help_text="Only this PM's certificates.")

    class Meta:
        model = PMCertification
        fields = ["user", "kind"]


class PMCertificationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """PM certifications and internal PM training, with expiry (CMO staff only)."""

    serializer_class = PMCertificationSerializer
    filterset_class = PMCertificationFilter
    permission_classes = [CanRecordCertifications]
    queryset = PMCertification.objects.none()
    ordering_fields = ["issued", "expires"]

    def get_queryset(self):
        return pm_excellence.certifications_for(self.request.user).order_by("user__username", "-issued", "pk")

    def perform_create(self, serializer):
        serializer.instance = pm_excellence.pm_certification_record(
            actor=self.request.user, **serializer.validated_data
        )
