"""API of issues and their comments."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from clients import access
from core.api import RolePermission, ScopedModelViewSet
from core.serializers import StrictModelSerializer, StrictSerializer
from projects.issues import services
from projects.issues.models import Issue, IssueComment
from projects.record_api import (
    CanWriteProjects,
    ProjectRecordFilter,
    ProjectRecordSerializer,
    user_name,
)


class CanRaiseOrComment(RolePermission):
    """Client users (viewer and approver), project managers and administrators raise issues and comment."""

    write_check = staticmethod(lambda user: access.is_client_user(user) or access.can_create_project(user))


class IssueFilter(ProjectRecordFilter):
    class Meta:
        model = Issue
        fields = ["project", "client", "status", "visibility", "waiting_on"]


class IssueSerializer(ProjectRecordSerializer):
    raised_by_name = serializers.SerializerMethodField(help_text=_("Who raised the issue."))
    assigned_to_name = serializers.SerializerMethodField(help_text=_("Who works on it at the CMO."))
    comment_count = serializers.IntegerField(read_only=True, help_text=_("How many comments it has."))

    class Meta:
        model = Issue
        fields = [
            "id",
            "project",
            "project_code",
            "title",
            "description",
            "status",
            "visibility",
            "raised_by_name",
            "assigned_to_name",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "resolution",
            "waiting_on",
            "comment_count",
        ]
        read_only_fields = [
            "id",
            "status",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "resolution",
            "waiting_on",
        ]
        extra_kwargs = {
            "visibility": {
                "help_text": _("internal: CMO only; shared: worked on with the client (forced for clients).")
            },
            "first_response_at": {"help_text": _("The CMO's first reply (time to first response is measured).")},
        }

    def get_raised_by_name(self, obj) -> str:
        return obj.raised_by.display_name

    def get_assigned_to_name(self, obj) -> str | None:
        return user_name(obj.assigned_to)


class IssueCommentSerializer(StrictModelSerializer):
    author_name = serializers.SerializerMethodField(help_text=_("Who wrote the comment."))

    class Meta:
        model = IssueComment
        fields = ["id", "issue", "author_name", "body", "created"]
        read_only_fields = ["id", "issue", "created"]
        extra_kwargs = {"body": {"help_text": _("The comment's text.")}}

    def get_author_name(self, obj) -> str:
        return obj.author.display_name


class IssueResolveSerializer(StrictSerializer):
    resolution = serializers.CharField(help_text=_("How the issue was resolved (the client sees it on shared issues)."))


class IssueViewSet(ScopedModelViewSet):
    """Issues. CMO staff see all; client users see shared ones, raise them on their own projects and comment."""

    queryset = (
        Issue.objects.select_related("project", "raised_by", "assigned_to")
        .annotate(comment_count=Count("comments"))
        .order_by("project", "-opened_at", "-pk")  # GROUP BY drops Meta.ordering
    )
    serializer_class = IssueSerializer
    filterset_class = IssueFilter
    permission_classes = [CanRaiseOrComment]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["opened_at", "resolved_at"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        issue = services.issue_raise(
            actor=self.request.user,
            project=data["project"],
            title=data["title"],
            description=data.get("description", ""),
            visibility=data.get("visibility", "shared"),
        )
        serializer.instance = self.get_queryset().get(pk=issue.pk)

    @extend_schema(methods=["get"], request=None, responses=IssueCommentSerializer(many=True))
    @extend_schema(methods=["post"], request=IssueCommentSerializer, responses={201: IssueCommentSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request, pk=None):
        """GET: the issue's comments, oldest first. POST: add one (clients only on shared issues of their projects)."""
        issue = self.get_object()
        if request.method == "POST":
            serializer = IssueCommentSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            comment = services.issue_comment(actor=request.user, issue=issue, body=serializer.validated_data["body"])
            return Response(IssueCommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        comments = IssueComment.objects.for_user(request.user).filter(issue=issue).select_related("author")
        page = self.paginate_queryset(comments)
        return self.get_paginated_response(IssueCommentSerializer(page, many=True).data)

    @extend_schema(request=IssueResolveSerializer, responses=IssueSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanWriteProjects])
    def resolve(self, request, pk=None):
        """Record the resolution (the project's PM or an admin); on shared issues the client is notified."""
        issue = self.get_object()
        serializer = IssueResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.issue_resolve(actor=request.user, issue=issue, resolution=serializer.validated_data["resolution"])
        issue = self.get_queryset().get(pk=issue.pk)
        return Response(IssueSerializer(issue, context=self.get_serializer_context()).data)
