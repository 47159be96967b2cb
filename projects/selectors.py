"""Reads for projects: always start from ``for_user``, fixed query counts."""

from projects.models import Project


def project_list(*, user):
    """Projects in the user's scope with client and manager joined (one query)."""
    return Project.objects.for_user(user).select_related("client", "manager").order_by("code")


def project_get(*, user, pk: int) -> Project:
    """One project in scope, or ``Project.DoesNotExist`` (callers answer 404)."""
    return project_list(user=user).get(pk=pk)
