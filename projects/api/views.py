from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from clients import access
from core.api import (
    RolePermission,
    ScopedModelViewSet,
    ScopedReadOnlyViewSet,
    VersionedUpdateMixin,
)
from projects import audit, services
from projects.api.serializers import (
    AuditEntrySerializer,
    BaselineSerializer,
    MilestoneSerializer,
    MilestoneUpdateSerializer,
    ProjectSerializer,
    ProjectTemplateSerializer,
    RebaselineSerializer,
    SignatureSerializer,
    SignSerializer,
)
from projects.models import Baseline, Milestone, Project, ProjectTemplate


class ProjectFilter(filters.FilterSet):
    # Plain numbers, not model choices: an id outside the caller's scope must not be told apart
    # from one that does not exist (no existence leak through a 400).
    client = filters.NumberFilter(field_name="client_id")
    manager = filters.NumberFilter(field_name="manager_id")

    class Meta:
        model = Project
        fields = ["client", "status", "service_type", "manager"]


class CanWriteProjects(RolePermission):
    """PMs and admins write; on an existing record, only the project's own PM (or an admin)."""

    write_check = staticmethod(access.can_create_project)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        project = obj if isinstance(obj, Project) else obj.project
        return access.can_edit_project(request.user, project)


class ProjectViewSet(VersionedUpdateMixin, ScopedModelViewSet):
    """Projects in the caller's scope; PMs and admins create (optionally from a template) and update."""

    queryset = Project.objects.select_related("client", "manager")
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    ordering_fields = ["code", "target_date", "start_date"]

    def perform_create(self, serializer):
        serializer.instance = services.project_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        changes = {k: v for k, v in serializer.validated_data.items() if k not in ("client", "template")}
        serializer.instance = services.project_update(
            actor=self.request.user,
            project=serializer.instance,
            expected_version=self.expected_version(),
            **changes,
        )

    @extend_schema(responses=AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"], permission_classes=[RolePermission])
    def audit(self, request, pk=None):
        """The project's audit trail (CMO staff only): who, when, old and new values, why."""
        project = self.get_object()
        if not access.is_staff_user(request.user):
            raise Http404
        entries = audit.project_audit_trail(project=project)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class MilestoneFilter(filters.FilterSet):
    project = filters.NumberFilter(field_name="project_id")
    client = filters.NumberFilter(field_name="project__client_id")

    class Meta:
        model = Milestone
        fields = ["project", "client", "client_visible", "value_adding"]


class MilestoneViewSet(VersionedUpdateMixin, ScopedModelViewSet):
    """Milestones in scope (clients: client-visible ones). Date changes need a ``reason``."""

    queryset = Milestone.objects.select_related("project").prefetch_related("checklist", "predecessor_links")
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    ordering_fields = ["sequence", "forecast_date", "baseline_date"]

    def get_serializer_class(self):
        return MilestoneUpdateSerializer if self.action in ("update", "partial_update") else MilestoneSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        project = data.pop("project")
        if not Project.objects.for_user(self.request.user).filter(pk=project.pk).exists():
            raise Http404
        serializer.instance = services.milestone_create(actor=self.request.user, project=project, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.milestone_update(
            actor=self.request.user,
            milestone=serializer.instance,
            expected_version=self.expected_version(),
            reason=data.pop("reason", ""),
            override_reason=data.pop("override_reason", ""),
            **data,
        )


class BaselineFilter(filters.FilterSet):
    project = filters.NumberFilter(field_name="project_id")

    class Meta:
        model = Baseline
        fields = ["project", "status"]


class CanRebaseline(RolePermission):
    write_check = staticmethod(lambda user: access.is_staff_user(user) or access.is_client_user(user))


class BaselineViewSet(ScopedReadOnlyViewSet):
    """Baselines in scope; ``rebaseline`` (PM) proposes, ``approve``/``reject`` (client approver) sign."""

    queryset = Baseline.objects.select_related("project", "created_by").prefetch_related("items")
    serializer_class = BaselineSerializer
    filterset_class = BaselineFilter
    permission_classes = [CanRebaseline]

    @extend_schema(request=RebaselineSerializer, responses={201: BaselineSerializer})
    @action(detail=False, methods=["post"])
    def rebaseline(self, request):
        serializer = RebaselineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = serializer.validated_data["project"]
        if not Project.objects.for_user(request.user).filter(pk=project.pk).exists():
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


class TemplateViewSet(ScopedReadOnlyViewSet):
    """Project templates (CMO staff): milestones with offsets, weights and checklists."""

    queryset = ProjectTemplate.objects.prefetch_related("milestones__checklist")
    serializer_class = ProjectTemplateSerializer
    filterset_fields = ["service_type", "active"]
