"""API of the caller's own notifications."""

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import phrases
from core.api import RolePermission, ScopedQuerysetMixin
from core.filtering import IdFilter, StrictBooleanFilter, StrictFilterSet
from core.serializers import StrictModelSerializer, StrictSerializer
from projects.notifications import services as notifications
from projects.notifications.models import Notification


class IsAuthenticatedReader(RolePermission):
    """Any logged-in user; the queryset decides what they see (their own notifications)."""

    write_check = staticmethod(lambda user: True)


class NotificationFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id", help_text=_("Only notifications about this project."))
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", help_text=_("true: not read yet."))

    class Meta:
        model = Notification
        fields = ["project", "unread", "kind"]


class NotificationSerializer(StrictModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True, default=None, allow_null=True)
    text = serializers.SerializerMethodField(help_text=_("What happened, in the requester's language."))

    def get_text(self, obj) -> str:
        """Written in the requester's language (their account's, else Accept-Language), as the list shows it."""
        request = self.context.get("request")
        if "language" not in self.context:
            self.context["language"] = phrases.request_language(request) if request is not None else None
        if self.context["language"] is None:
            return obj.shown_text()
        with translation.override(self.context["language"]):
            return obj.shown_text()

    class Meta:
        model = Notification
        fields = ["id", "kind", "project", "project_code", "text", "url", "created", "read_at"]
        read_only_fields = fields
        extra_kwargs = {
            "kind": {"help_text": _("What happened, e.g. change_request_submitted, issue_comment.")},
            "url": {"help_text": _("Where to look in the portal (path).")},
            "read_at": {"help_text": _("When it was marked read (empty: unread).")},
        }


class MarkReadSerializer(StrictSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Notifications to mark read; leave out to mark all of yours read."),
    )


class NotificationViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's own notifications, newest first."""

    queryset = Notification.objects.select_related("project")
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    permission_classes = [IsAuthenticatedReader]
    ordering_fields = ["created"]

    @extend_schema(
        request=MarkReadSerializer,
        responses=inline_serializer("MarkReadResult", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="mark-read", url_name="mark-read")
    def mark_read(self, request):
        """Mark your notifications read (the given ids, or all); other users' notifications are never touched."""
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = notifications.mark_read(user=request.user, ids=serializer.validated_data["ids"])
        return Response({"marked": marked})
