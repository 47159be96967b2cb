"""API of the four constraints' records: cost, invoices, change requests, batches, quality events, risks,
issues with their comments, and the caller's notifications.

Scoping comes from ``for_user`` (``ScopedQuerysetMixin``): client users never see internal records or cost,
and another client's record answers 404. Permission classes check the role for the action; the services
check the tenant and the project (``access.can_edit_project``) and do every write.
"""

from django.db.models import Count
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from clients import access
from clients.models import STAFF_ROLES, Role, User
from core.api import IdFilter, RolePermission, ScopedModelViewSet, ScopedQuerysetMixin, VersionedUpdateMixin
from projects import notifications, services
from projects.api.serializers import SignatureSerializer
from projects.api.views import CanWriteProjects
from projects.models import (
    Batch,
    ChangeRequest,
    CostEntry,
    Invoice,
    Issue,
    IssueComment,
    Milestone,
    Notification,
    Project,
    QualityEvent,
    Risk,
    SignatureMeaning,
)

MAX_CSV_BYTES = 5 * 1024 * 1024

# --- Fields ----------------------------------------------------------------------------


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
        queryset=Project.objects.all(), help_text="Id of the project (one you can see).", **kwargs
    )


class ProjectRecordSerializer(serializers.ModelSerializer):
    """Common to records of a project: ``project`` is set on create and never moves afterwards."""

    project = project_field()
    project_code = serializers.CharField(source="project.code", read_only=True, help_text="The project's code.")

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and "project" in fields:
            fields["project"].read_only = True
        return fields


def _name(user) -> str | None:
    return user.display_name if user is not None else None


# --- Permissions -------------------------------------------------------------------------


class CanSignForClient(RolePermission):
    """Only client approvers decide; the service checks that the project is their client's."""

    write_check = staticmethod(lambda user: access.is_client_user(user) and user.role == Role.CLIENT_APPROVER)


class CanRaiseOrComment(RolePermission):
    """Client users (viewer and approver), project managers and administrators raise issues and comment."""

    write_check = staticmethod(lambda user: access.is_client_user(user) or access.can_create_project(user))


class IsAuthenticatedReader(RolePermission):
    """Any logged-in user; the queryset decides what they see (their own notifications)."""

    write_check = staticmethod(lambda user: True)


# --- Filters -----------------------------------------------------------------------------


class ProjectRecordFilter(filters.FilterSet):
    """``?project=`` and ``?client=`` on top of the caller's scope (an id outside it gives an empty list)."""

    project = IdFilter(field_name="project_id", help_text="Only records of this project.")
    client = IdFilter(field_name="project__client_id", help_text="Only records of this client's projects.")


class CostEntryFilter(ProjectRecordFilter):
    class Meta:
        model = CostEntry
        fields = ["project", "client", "category"]


class InvoiceFilter(ProjectRecordFilter):
    class Meta:
        model = Invoice
        fields = ["project", "client"]


class ChangeRequestFilter(ProjectRecordFilter):
    class Meta:
        model = ChangeRequest
        fields = ["project", "client", "status"]


class BatchFilter(ProjectRecordFilter):
    class Meta:
        model = Batch
        fields = ["project", "client", "outcome"]


class QualityEventFilter(ProjectRecordFilter):
    open = filters.BooleanFilter(field_name="closed", lookup_expr="isnull", help_text="true: not closed yet.")

    class Meta:
        model = QualityEvent
        fields = ["project", "client", "kind", "severity", "visibility", "batch"]


class RiskFilter(ProjectRecordFilter):
    class Meta:
        model = Risk
        fields = ["project", "client", "status", "visibility"]


class IssueFilter(ProjectRecordFilter):
    class Meta:
        model = Issue
        fields = ["project", "client", "status", "visibility", "waiting_on"]


class NotificationFilter(filters.FilterSet):
    project = IdFilter(field_name="project_id", help_text="Only notifications about this project.")
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", help_text="true: not read yet.")

    class Meta:
        model = Notification
        fields = ["project", "unread", "kind"]


# --- Cost (internal) -------------------------------------------------------------------------


class CostEntrySerializer(ProjectRecordSerializer):
    created_by_name = serializers.SerializerMethodField(help_text="Who recorded the cost.")
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Why (recorded in the audit trail)."
    )

    class Meta:
        model = CostEntry
        fields = [
            "id",
            "project",
            "project_code",
            "date",
            "amount",
            "category",
            "description",
            "created_by_name",
            "reason",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            "amount": {"help_text": "Actual cost in the project's currency (internal, never shown to the client)."},
            "date": {"help_text": "When the cost was incurred."},
        }

    def get_created_by_name(self, obj) -> str | None:
        return _name(obj.created_by)


class CostImportSerializer(serializers.Serializer):
    project = project_field()
    csv = serializers.CharField(
        required=False,
        trim_whitespace=False,
        help_text="CSV text with the header date,amount,category[,description] (JSON requests).",
    )
    file = serializers.FileField(
        required=False, help_text="The same CSV as an uploaded file, UTF-8 (multipart requests)."
    )

    def validate(self, attrs):
        if bool(attrs.get("csv")) == bool(attrs.get("file")):
            raise serializers.ValidationError({"csv": ["Send the CSV either as text (csv) or as a file (file)."]})
        upload = attrs.pop("file", None)
        if upload is not None:
            if upload.size > MAX_CSV_BYTES:
                raise serializers.ValidationError({"file": ["The file is larger than 5 MB."]})
            try:
                attrs["csv"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise serializers.ValidationError({"file": ["The file is not UTF-8 text."]}) from error
        return attrs


class CostImportResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many cost entries were imported.")


class CostEntryViewSet(ScopedModelViewSet):
    """Internal cost entries (actual cost). CMO staff only: client users get an empty list and 404."""

    queryset = CostEntry.objects.select_related("project", "created_by")
    serializer_class = CostEntrySerializer
    filterset_class = CostEntryFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["date", "amount"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.cost_entry_create(actor=self.request.user, project=data.pop("project"), **data)

    @extend_schema(
        request={"application/json": CostImportSerializer, "multipart/form-data": CostImportSerializer},
        responses={201: CostImportResultSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[JSONParser, MultiPartParser, FormParser],
    )
    def import_csv(self, request):
        """Import cost entries from CSV, all or nothing: a bad row imports nothing and names its line and column."""
        serializer = CostImportSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        created = services.cost_entries_import_csv(
            actor=request.user, project=serializer.validated_data["project"], text=serializer.validated_data["csv"]
        )
        return Response({"count": len(created)}, status=status.HTTP_201_CREATED)


# --- Invoices (shared) -----------------------------------------------------------------------


class InvoiceSerializer(ProjectRecordSerializer):
    class Meta:
        model = Invoice
        fields = ["id", "project", "project_code", "number", "date", "amount", "description"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "number": {"help_text": "The invoice number, unique within the project."},
            "amount": {"help_text": "Amount invoiced to the client, in the project's currency."},
        }


class InvoiceViewSet(ScopedModelViewSet):
    """Invoices to the client: everyone in scope reads them; the project's PM or an admin records them."""

    queryset = Invoice.objects.select_related("project")
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["date", "number", "amount"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.invoice_create(actor=self.request.user, project=data.pop("project"), **data)


# --- Change requests ---------------------------------------------------------------------------


class MovedMilestonesField(serializers.PrimaryKeyRelatedField):
    """Milestone ids; a client user is shown only the client-visible ones (the rest do not exist for them)."""

    def get_queryset(self):
        return Milestone.objects.for_user(self.context["request"].user).filter(actual_date__isnull=True)

    def to_representation(self, value):
        return value.pk


class ChangeRequestSerializer(ProjectRecordSerializer):
    created_by_name = serializers.SerializerMethodField(help_text="Who drafted the change request.")
    decided_by_name = serializers.SerializerMethodField(help_text="The client approver who decided, if decided.")
    moved_milestones = MovedMilestonesField(
        many=True,
        required=False,
        help_text="Ids of the open milestones the schedule impact moves; empty: every open milestone.",
    )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = self.context["request"].user
        if not access.can_see_internal(user):
            visible = {m.pk for m in instance.moved_milestones.all() if m.client_visible}
            data["moved_milestones"] = [pk for pk in data["moved_milestones"] if pk in visible]
        return data

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "project",
            "project_code",
            "number",
            "title",
            "description",
            "schedule_impact_days",
            "cost_impact",
            "scope_impact",
            "scope_impact_percent",
            "quality_impact",
            "quality_impact_text",
            "moved_milestones",
            "status",
            "created_by_name",
            "created_at",
            "submitted_at",
            "decided_at",
            "decided_by_name",
            "version",
        ]
        read_only_fields = [
            "id",
            "number",
            "status",
            "created_at",
            "submitted_at",
            "decided_at",
            "version",
        ]
        extra_kwargs = {
            "number": {"help_text": "CR number within the project (CR-<number>), assigned on create."},
            "status": {"help_text": "draft → submitted → approved | rejected | withdrawn."},
            "quality_impact_text": {"help_text": "What changes for quality, in words."},
        }

    def get_created_by_name(self, obj) -> str:
        return obj.created_by.display_name

    def get_decided_by_name(self, obj) -> str | None:
        return _name(obj.decided_by)


class ChangeRequestSignSerializer(serializers.Serializer):
    password = serializers.CharField(
        style={"input_type": "password"}, help_text="The signer's password, re-entered (21 CFR 11.200)."
    )
    meaning = serializers.ChoiceField(
        choices=SignatureMeaning.choices,
        required=False,
        help_text="What the signature means: approval for approve/, rejection for reject/ (the default).",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why (recorded in the audit trail)."
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why (recorded in the audit trail)."
    )


class ChangeRequestViewSet(ScopedModelViewSet):
    """Change requests. PMs draft, submit and withdraw; the client's approvers approve or reject with an e-signature.

    Client users never see drafts.
    """

    queryset = ChangeRequest.objects.select_related("project", "created_by", "decided_by").prefetch_related(
        "moved_milestones"
    )
    serializer_class = ChangeRequestSerializer
    filterset_class = ChangeRequestFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["number", "created_at", "submitted_at"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.change_request_create(
            actor=self.request.user, project=data.pop("project"), **data
        )

    def _changed(self, change: ChangeRequest) -> Response:
        change = self.get_queryset().get(pk=change.pk)
        return Response(ChangeRequestSerializer(change, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send a draft to the client: its approvers are notified."""
        change = services.change_request_submit(actor=request.user, change=self.get_object())
        return self._changed(change)

    @extend_schema(request=WithdrawSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw a draft or a submitted change request."""
        change = self.get_object()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.change_request_withdraw(
            actor=request.user, change=change, reason=serializer.validated_data["reason"]
        )
        return self._changed(change)

    def _decide(self, request, approve: bool) -> Response:
        change = self.get_object()
        serializer = ChangeRequestSignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        signature = services.change_request_decide(
            actor=request.user,
            change=change,
            password=serializer.validated_data["password"],
            approve=approve,
            meaning=serializer.validated_data.get("meaning"),
            comment=serializer.validated_data["comment"],
        )
        return Response(SignatureSerializer(signature).data)

    @extend_schema(request=ChangeRequestSignSerializer, responses=SignatureSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanSignForClient])
    def approve(self, request, pk=None):
        """Approve a submitted change request (client approver, e-signature): budget and forecasts move."""
        return self._decide(request, approve=True)

    @extend_schema(request=ChangeRequestSignSerializer, responses=SignatureSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanSignForClient])
    def reject(self, request, pk=None):
        """Reject a submitted change request (client approver, e-signature)."""
        return self._decide(request, approve=False)


# --- Batches ---------------------------------------------------------------------------------


class BatchSerializer(ProjectRecordSerializer):
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Why (recorded in the audit trail)."
    )

    class Meta:
        model = Batch
        fields = [
            "id",
            "project",
            "project_code",
            "number",
            "planned_date",
            "actual_date",
            "outcome",
            "right_first_time",
            "reason",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            "number": {"help_text": "The batch number, unique within the project."},
            "actual_date": {"help_text": "When the batch was actually made (empty while planned)."},
        }


class BatchViewSet(ScopedModelViewSet):
    """Batches of a project: everyone in scope reads; the project's PM or an admin records and updates them."""

    queryset = Batch.objects.select_related("project")
    serializer_class = BatchSerializer
    filterset_class = BatchFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["planned_date", "number"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.batch_create(actor=self.request.user, project=data.pop("project"), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project", None)
        serializer.instance = services.batch_update(
            actor=self.request.user, batch=serializer.instance, reason=data.pop("reason", ""), **data
        )


# --- Quality events ------------------------------------------------------------------------------


class QualityEventSerializer(ProjectRecordSerializer):
    batch = ScopedRelatedField(
        queryset=Batch.objects.all(),
        required=False,
        allow_null=True,
        help_text="The batch concerned, if any (same project).",
    )
    batch_number = serializers.CharField(source="batch.number", read_only=True, default=None)
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Why (recorded in the audit trail)."
    )

    class Meta:
        model = QualityEvent
        fields = [
            "id",
            "project",
            "project_code",
            "batch",
            "batch_number",
            "reference",
            "title",
            "kind",
            "severity",
            "opened",
            "due",
            "closed",
            "visibility",
            "reason",
        ]
        read_only_fields = ["id", "closed"]
        extra_kwargs = {
            "visibility": {"help_text": "internal: CMO only; shared: the client sees it."},
            "due": {"help_text": "When it must be closed (CAPA due date)."},
            "closed": {"help_text": "Set with the close/ action."},
        }


class QualityEventCloseSerializer(serializers.Serializer):
    closed = serializers.DateField(help_text="The day the event was closed (not before it was opened).")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why (recorded in the audit trail)."
    )


class QualityEventViewSet(ScopedModelViewSet):
    """Deviations, OOS, complaints and CAPAs. Internal ones never reach client users."""

    queryset = QualityEvent.objects.select_related("project", "batch")
    serializer_class = QualityEventSerializer
    filterset_class = QualityEventFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["opened", "due", "severity"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.quality_event_create(
            actor=self.request.user, project=data.pop("project"), **data
        )

    @extend_schema(request=QualityEventCloseSerializer, responses=QualityEventSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the event on a given day (the project's PM or an admin)."""
        event = self.get_object()
        serializer = QualityEventCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.quality_event_close(actor=request.user, event=event, **serializer.validated_data)
        return Response(QualityEventSerializer(event, context=self.get_serializer_context()).data)


# --- Risks -------------------------------------------------------------------------------------


class RiskSerializer(ProjectRecordSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role__in=STAFF_ROLES, is_active=True),
        required=False,
        allow_null=True,
        help_text="The CMO staff member who owns the risk.",
    )
    owner_name = serializers.SerializerMethodField(help_text="The owner's name.")
    exposure = serializers.IntegerField(read_only=True, help_text="Probability × impact, 1..25.")
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Why (recorded in the audit trail)."
    )

    class Meta:
        model = Risk
        fields = [
            "id",
            "project",
            "project_code",
            "title",
            "probability",
            "impact",
            "exposure",
            "owner",
            "owner_name",
            "mitigation",
            "status",
            "visibility",
            "version",
            "reason",
        ]
        read_only_fields = ["id", "version"]
        extra_kwargs = {
            "probability": {"help_text": "1 (rare) .. 5 (almost certain)."},
            "impact": {"help_text": "1 (negligible) .. 5 (severe)."},
            "visibility": {"help_text": "internal: CMO only; shared: the client sees it."},
        }

    def get_owner_name(self, obj) -> str | None:
        return _name(obj.owner)


class RiskViewSet(VersionedUpdateMixin, ScopedModelViewSet):
    """The risk register. Updates take ``If-Match`` with the ETag of a GET (stale → 412, missing → 428)."""

    queryset = Risk.objects.select_related("project", "owner")
    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    permission_classes = [CanWriteProjects]
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["probability", "impact", "title"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.risk_create(actor=self.request.user, project=data.pop("project"), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project", None)
        serializer.instance = services.risk_update(
            actor=self.request.user,
            risk=serializer.instance,
            expected_version=self.expected_version(),
            reason=data.pop("reason", ""),
            **data,
        )


# --- Issues and comments -----------------------------------------------------------------------


class IssueSerializer(ProjectRecordSerializer):
    raised_by_name = serializers.SerializerMethodField(help_text="Who raised the issue.")
    assigned_to_name = serializers.SerializerMethodField(help_text="Who works on it at the CMO.")
    comment_count = serializers.IntegerField(read_only=True, help_text="How many comments it has.")

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
            "visibility": {"help_text": "internal: CMO only; shared: worked on with the client (forced for clients)."},
            "first_response_at": {"help_text": "The CMO's first reply (time to first response is measured)."},
        }

    def get_raised_by_name(self, obj) -> str:
        return obj.raised_by.display_name

    def get_assigned_to_name(self, obj) -> str | None:
        return _name(obj.assigned_to)


class IssueCommentSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField(help_text="Who wrote the comment.")

    class Meta:
        model = IssueComment
        fields = ["id", "issue", "author_name", "body", "created"]
        read_only_fields = ["id", "issue", "created"]
        extra_kwargs = {"body": {"help_text": "The comment's text."}}

    def get_author_name(self, obj) -> str:
        return obj.author.display_name


class IssueResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(help_text="How the issue was resolved (the client sees it on shared issues).")


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
    @action(detail=True, methods=["get", "post"])
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


# --- Notifications -----------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True, default=None)

    class Meta:
        model = Notification
        fields = ["id", "kind", "project", "project_code", "text", "url", "created", "read_at"]
        read_only_fields = fields
        extra_kwargs = {
            "kind": {"help_text": "What happened, e.g. change_request_submitted, issue_comment."},
            "url": {"help_text": "Where to look in the portal (path)."},
            "read_at": {"help_text": "When it was marked read (empty: unread)."},
        }


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Notifications to mark read; leave out to mark all of yours read.",
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
