"""API of baselines: the PM proposes a re-baseline, a client approver approves or rejects it."""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from clients import access
from core.api import RolePermission, ScopedReadOnlyViewSet
from core.filtering import IdFilter, StrictFilterSet
from core.serializers import StrictModelSerializer, StrictSerializer
from projects.baselines import services
from projects.baselines.models import Baseline, BaselineItem
from projects.baselines.selectors import baseline_items
from projects.records import Project
from projects.signatures.api import SignatureSerializer, SignSerializer, signatures_field, signatures_of


class BaselineItemSerializer(StrictModelSerializer):
    class Meta:
        model = BaselineItem
        fields = ["milestone", "milestone_name", "date"]


class BaselineSerializer(StrictModelSerializer):
    items = serializers.SerializerMethodField(
        help_text=_("Each milestone's baselined date; client users see only client-visible milestones.")
    )
    created_by_name = serializers.CharField(source="created_by.display_name", read_only=True)
    signatures = signatures_field()

    class Meta:
        model = Baseline
        fields = [
            "id",
            "project",
            "number",
            "status",
            "reason",
            "budget",
            "created_by_name",
            "created_at",
            "decided_at",
            "items",
            "signatures",
        ]
        read_only_fields = fields

    @extend_schema_field(SignatureSerializer(many=True))
    def get_signatures(self, obj) -> list:
        return signatures_of(obj, self.context)

    @extend_schema_field(BaselineItemSerializer(many=True))
    def get_items(self, obj) -> list:
        request = self.context.get("request")
        user = request.user if request is not None else AnonymousUser()  # no caller: the client's view
        return BaselineItemSerializer(baseline_items(user=user, baseline=obj), many=True).data


class RebaselineSerializer(StrictSerializer):
    # A plain id: a missing project and another client's project must answer alike (404), never "Invalid pk".
    project = serializers.IntegerField(help_text=_("Id of the project to re-baseline."))
    reason = serializers.CharField(help_text=_("Why the plan changes (required, recorded in the audit trail)."))


class BaselineFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id", help_text="Only baselines of this project.")

    class Meta:
        model = Baseline
        fields = ["project", "status"]


class CanRebaseline(RolePermission):
    write_check = staticmethod(lambda user: access.is_staff_user(user) or access.is_client_user(user))


class BaselineViewSet(ScopedReadOnlyViewSet):
    """Baselines in scope; ``rebaseline`` (PM) proposes, ``approve``/``reject`` (client approver) sign."""

    queryset = Baseline.objects.select_related("project", "created_by").prefetch_related("items", "e_signatures")
    serializer_class = BaselineSerializer
    filterset_class = BaselineFilter
    permission_classes = [CanRebaseline]

    @extend_schema(
        request=RebaselineSerializer,
        responses={
            201: BaselineSerializer,
            404: OpenApiResponse(description="No such project in your scope (a missing one answers alike)."),
        },
    )
    @action(detail=False, methods=["post"])
    def rebaseline(self, request):
        serializer = RebaselineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = Project.objects.for_user(request.user).filter(pk=serializer.validated_data["project"]).first()
        if project is None:
            raise Http404
        baseline = services.baseline_propose(
            actor=request.user, project=project, reason=serializer.validated_data["reason"]
        )
        return Response(
            BaselineSerializer(baseline, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    def _decide(self, request, approve: bool):
        baseline = self.get_object()
        serializer = SignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        signature = services.baseline_decide(
            actor=request.user,
            baseline=baseline,
            password=serializer.validated_data["password"],
            approve=approve,
            comment=serializer.validated_data["comment"],
        )
        return Response(SignatureSerializer(signature).data)

    @extend_schema(request=SignSerializer, responses=SignatureSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, approve=True)

    @extend_schema(request=SignSerializer, responses=SignatureSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, approve=False)
