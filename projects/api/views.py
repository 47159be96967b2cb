"""API of the project itself: list, create (optionally from a template), update, and its audit trail."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from clients import access
from core.api import (
    RolePermission,
    ScopedModelViewSet,
    VersionedUpdateMixin,
)
from core.filtering import IdFilter, StrictFilterSet
from projects import audit, services
from projects.api.serializers import AuditEntrySerializer, ProjectSerializer, ProjectUpdateSerializer
from projects.record_api import CanWriteProjects
from projects.records import Project


class ProjectFilter(StrictFilterSet):
    # Plain ids, not model choices: an id outside the caller's scope must not be told apart
    # from one that does not exist (no existence leak through a 400).
    client = IdFilter(field_name="client_id", help_text="Only this client's projects.")
    manager = IdFilter(field_name="manager_id", help_text="Only projects this PM manages.")

    class Meta:
        model = Project
        fields = ["client", "status", "service_type", "manager"]


class ProjectViewSet(VersionedUpdateMixin, ScopedModelViewSet):
    """Projects in the caller's scope; PMs and admins create (optionally from a template) and update."""

    queryset = Project.objects.select_related("client", "manager")
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    ordering_fields = ["code", "target_date", "start_date"]

    def get_serializer_class(self):
        return ProjectUpdateSerializer if self.action in ("update", "partial_update") else ProjectSerializer

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
    @action(detail=True, methods=["get"], permission_classes=[RolePermission], filter_backends=[])
    def audit(self, request, pk=None):
        """The project's audit trail (CMO staff only): who, when, old and new values, why."""
        project = self.get_object()
        if not access.is_staff_user(request.user):
            raise Http404
        page = self.paginate_queryset(audit.audit_events(project=project))  # ordered and sliced in the database
        return self.get_paginated_response(AuditEntrySerializer(audit.audit_entries(page), many=True).data)
