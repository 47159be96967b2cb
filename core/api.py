"""The API's base viewsets: scoping by ``for_user`` is applied here, once."""

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, viewsets


class ScopedQuerysetMixin:
    """``get_queryset`` starts from ``queryset.for_user(request.user)``; subclasses filter on top."""

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    pass


class RolePermission(permissions.BasePermission):
    """Read for everyone in scope; writes only for roles that ``can_write(user)`` allows.

    Subclasses set ``write_check``: a function of the user (role, not tenant).
    """

    write_check = staticmethod(lambda user: False)

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(self.write_check(request.user))


def etag_for(instance) -> str:
    return f'"{instance.version}"'


class VersionedUpdateMixin:
    """Optimistic locking over HTTP: GET returns an ``ETag``; PATCH/PUT need a matching ``If-Match``.

    Missing ``If-Match`` → 428; stale → 412 (the record changed since it was read).
    """

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_for(self.get_object())
        return response

    def expected_version(self) -> int:
        return int(self.request.headers["If-Match"].strip().strip('W/"').strip('"'))

    def update(self, request, *args, **kwargs):
        from rest_framework import status
        from rest_framework.response import Response

        instance = self.get_object()  # 404 outside scope, 403 without the right to edit
        header = request.headers.get("If-Match")
        if not header:
            return Response(
                {"non_field_errors": ["Send If-Match with the ETag from a GET of this record."]},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        if header.strip() != etag_for(instance):
            return Response(
                {
                    "non_field_errors": ["The record was changed by someone else since you read it. GET it again."],
                    "current_version": instance.version,
                },
                status=status.HTTP_412_PRECONDITION_FAILED,
            )
        response = super().update(request, *args, **kwargs)
        response["ETag"] = etag_for(self.get_object())
        return response


class IdFilter(filters.NumberFilter):
    """An id (integer) filter; documented as an integer with its help text."""

    field_class = forms.IntegerField

    def __init__(self, *args, help_text: str = "", **kwargs):
        super().__init__(*args, help_text=help_text, **kwargs)
        extend_schema_field({"type": "integer", "description": help_text})(self)
