from django_filters import rest_framework as filters

from clients import access
from cmo_portal.api_base import RolePermission, ScopedModelViewSet
from projects import services
from projects.api.serializers import ProjectSerializer
from projects.models import Project


class ProjectFilter(filters.FilterSet):
    class Meta:
        model = Project
        fields = ["client", "status", "service_type", "manager"]


class CanWriteProjects(RolePermission):
    write_check = staticmethod(access.can_create_project)


class ProjectViewSet(ScopedModelViewSet):
    """Projects in the caller's scope; PMs and admins create and update."""

    queryset = Project.objects.select_related("client", "manager")
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    ordering_fields = ["code", "target_date", "start_date"]

    def perform_create(self, serializer):
        serializer.instance = services.project_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        changes = {k: v for k, v in serializer.validated_data.items() if k != "client"}
        serializer.instance = services.project_update(actor=self.request.user, project=serializer.instance, **changes)
