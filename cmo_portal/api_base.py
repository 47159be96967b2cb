"""The API's base viewsets: scoping by ``for_user`` is applied here, once."""

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
