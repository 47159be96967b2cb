"""What the API of a project's records shares: the scoped project reference, the record serializer and
filter, and who may write.

Scoping comes from ``for_user`` (``ScopedQuerysetMixin``): client users never see internal records or cost,
and another client's record answers 404. Permission classes check the role for the action; the services
check the tenant and the project (``access.can_edit_project``) and do every write.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clients import access
from core.api import RolePermission
from core.filtering import IdFilter, StrictFilterSet
from core.serializers import StrictModelSerializer
from projects.records import Project


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to a record the caller can see: another client's record reads as nonexistent (no leak)."""

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return self.queryset.none()
        return self.queryset.for_user(user)


def project_field(**kwargs) -> ScopedRelatedField:
    return ScopedRelatedField(
        queryset=Project.objects.all(), help_text=_("Id of the project (one you can see)."), **kwargs
    )


class ProjectRecordSerializer(StrictModelSerializer):
    """Common to records of a project: ``project`` is set on create and never moves afterwards (read-only on
    updates, and documented so: the schema of an update does not offer it)."""

    project = project_field()
    project_code = serializers.CharField(source="project.code", read_only=True, help_text=_("The project's code."))

    def get_fields(self):
        fields = super().get_fields()
        updating = getattr(self.context.get("view"), "action", None) in ("update", "partial_update")
        if (self.instance is not None or updating) and "project" in fields:
            fields["project"].read_only = True
        return fields


def user_name(user) -> str | None:
    return user.display_name if user is not None else None


class ProjectRecordFilter(StrictFilterSet):
    """``?project=`` and ``?client=`` on top of the caller's scope (an id outside it gives an empty list)."""

    project = IdFilter(field_name="project_id", help_text="Only records of this project.")
    client = IdFilter(field_name="project__client_id", help_text="Only records of this client's projects.")


class CanWriteProjects(RolePermission):
    """PMs and admins write; on an existing record, only the project's own PM (or an admin)."""

    write_check = staticmethod(access.can_create_project)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        project = obj if isinstance(obj, Project) else obj.project
        return access.can_edit_project(request.user, project)
