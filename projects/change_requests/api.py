"""API of change requests: draft, submit, withdraw, approve or reject with an e-signature."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from clients import access
from core.api import RolePermission, ScopedModelViewSet
from core.serializers import StrictSerializer
from projects.change_requests import services
from projects.change_requests.models import ChangeRequest
from projects.milestones.models import Milestone
from projects.record_api import (
    CanWriteProjects,
    ProjectRecordFilter,
    ProjectRecordSerializer,
    user_name,
)
from projects.signatures.api import SignatureSerializer, signatures_field, signatures_of
from projects.signatures.models import SignatureMeaning


class CanSignForClient(RolePermission):
    """Only client approvers decide; the service checks that the project is their client's."""

    write_check = staticmethod(access.is_client_approver)


class ChangeRequestFilter(ProjectRecordFilter):
    class Meta:
        model = ChangeRequest
        fields = ["project", "client", "status"]


class MovedMilestonesField(serializers.PrimaryKeyRelatedField):
    """Milestone ids; a client user is shown only the client-visible ones (the rest do not exist for them)."""

    def get_queryset(self):
        return Milestone.objects.for_user(self.context["request"].user).filter(actual_date__isnull=True)

    def to_representation(self, value):
        return value.pk


class ChangeRequestSerializer(ProjectRecordSerializer):
    created_by_name = serializers.SerializerMethodField(help_text=_("Who drafted the change request."))
    decided_by_name = serializers.SerializerMethodField(help_text=_("The client approver who decided, if decided."))
    signatures = signatures_field()
    moved_milestones = MovedMilestonesField(
        many=True,
        required=False,
        help_text=_("Ids of the open milestones the schedule impact moves; empty: every open milestone."),
    )

    @extend_schema_field(SignatureSerializer(many=True))
    def get_signatures(self, obj) -> list:
        return signatures_of(obj, self.context)

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
            "signatures",
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
            "number": {"help_text": _("CR number within the project (CR-<number>), assigned on create.")},
            "status": {"help_text": _("draft → submitted → approved | rejected | withdrawn.")},
            "quality_impact_text": {"help_text": _("What changes for quality, in words.")},
        }

    def get_created_by_name(self, obj) -> str:
        return obj.created_by.display_name

    def get_decided_by_name(self, obj) -> str | None:
        return user_name(obj.decided_by)


class ChangeRequestSignSerializer(StrictSerializer):
    password = serializers.CharField(
        style={"input_type": "password"}, help_text=_("The signer's password, re-entered (21 CFR 11.200).")
    )
    meaning = serializers.ChoiceField(
        choices=SignatureMeaning.choices,
        required=False,
        help_text=_("What the signature means: approval for approve/, rejection for reject/ (the default)."),
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Why (recorded in the audit trail).")
    )


class WithdrawSerializer(StrictSerializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Why (recorded in the audit trail).")
    )


def decide_with_signature(request, decide, *, approve: bool, **record) -> Response:
    """An approve/reject action signed in the API: the body (password, meaning, comment) checked, then
    ``decide(actor=…, password=…, approve=…, meaning=…, comment=…, **record)``; answers the signature. Change
    requests and documents share it."""
    serializer = ChangeRequestSignSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    body = serializer.validated_data
    signature = decide(
        actor=request.user,
        password=body["password"],
        approve=approve,
        meaning=body.get("meaning"),
        comment=body["comment"],
        **record,
    )
    return Response(SignatureSerializer(signature).data)


class ChangeRequestViewSet(ScopedModelViewSet):
    """Change requests. PMs draft, submit and withdraw; the client's approvers approve or reject with an e-signature.

    Client users never see drafts.
    """

    queryset = ChangeRequest.objects.select_related("project", "created_by", "decided_by").prefetch_related(
        "e_signatures", "moved_milestones"
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
        return decide_with_signature(request, services.change_request_decide, approve=approve, change=self.get_object())

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
