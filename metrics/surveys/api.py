"""API of satisfaction surveys.

* ``surveys/``: the caller's survey invitations (a client user sees only those addressed to them;
  CMO staff see every invitation, for response rates) and ``surveys/{id}/answer/``.
* ``survey-responses/``: answers; a client sees its own client's satisfaction history only.

Scoping comes from ``for_user``; permission classes check the role for the action; services write.
"""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from clients import access
from core.api import RolePermission, ScopedReadOnlyViewSet
from core.filtering import IdFilter, PatternFilter, StrictBooleanFilter, StrictFilterSet
from core.serializers import StrictModelSerializer, StrictSerializer
from metrics.quarters import QUARTER_PATTERN, parse_quarter, quarter_param
from metrics.surveys import services
from metrics.surveys.models import SurveyInvitation, SurveyResponse


class SurveyInvitationFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id", help_text=_("Only invitations of this project."))
    client = IdFilter(field_name="project__client_id", help_text=_("Only invitations of this client's projects."))

    class Meta:
        model = SurveyInvitation
        fields = ["project", "client", "status"]


class SurveyResponseFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id", help_text=_("Only answers about this project."))
    client = IdFilter(field_name="project__client_id", help_text=_("Only answers about this client's projects."))
    quarter = PatternFilter(method="filter_quarter", pattern=QUARTER_PATTERN, help_text=_("A quarter, e.g. 2026Q3."))
    follow_up = StrictBooleanFilter(
        field_name="issue", lookup_expr="isnull", exclude=True, help_text=_("true: answers that opened an issue.")
    )

    class Meta:
        model = SurveyResponse
        fields = ["project", "client", "quarter", "follow_up"]

    def filter_quarter(self, queryset, name, value):
        quarter = parse_quarter(value)
        if quarter is None:
            raise serializers.ValidationError({"quarter": [_("Give a quarter such as 2026Q3.")]})
        return queryset.filter(quarter=quarter)


class SurveyInvitationSerializer(StrictModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    trigger = serializers.CharField(
        source="round.trigger",
        read_only=True,
        help_text="milestone | quarterly",  # i18n: exempt (the values)
    )
    milestone_name = serializers.SerializerMethodField(help_text=_("The milestone whose completion opened the round."))
    quarter = serializers.SerializerMethodField(help_text=_("The round's quarter, e.g. 2026Q3."))
    answer_url = serializers.SerializerMethodField(
        help_text=_("The signed link to answer in the portal (only for the invitee, while open).")
    )

    class Meta:
        model = SurveyInvitation
        fields = [
            "id",
            "project",
            "project_code",
            "project_name",
            "trigger",
            "milestone_name",
            "quarter",
            "status",
            "sent_at",
            "reminded_at",
            "expires_at",
            "answered_at",
            "answer_url",
        ]
        read_only_fields = fields

    def get_milestone_name(self, obj) -> str | None:
        return obj.round.milestone.name if obj.round.milestone_id else None

    def get_quarter(self, obj) -> str:
        return quarter_param(obj.round.quarter)

    def get_answer_url(self, obj) -> str | None:
        request = self.context.get("request")
        if request is None or obj.recipient_id != request.user.pk or obj.status != "open":
            return None
        if obj.expires_at <= timezone.now():
            return None
        return request.build_absolute_uri(services.invitation_url(obj))


class SurveyAnswerSerializer(StrictSerializer):
    csat_communication = serializers.IntegerField(min_value=1, max_value=5, help_text=_("1 (very poor) .. 5."))
    csat_responsiveness = serializers.IntegerField(min_value=1, max_value=5, help_text=_("1 (very poor) .. 5."))
    csat_quality = serializers.IntegerField(min_value=1, max_value=5, help_text=_("1 (very poor) .. 5."))
    csat_schedule = serializers.IntegerField(min_value=1, max_value=5, help_text=_("1 (very poor) .. 5."))
    csat_overall = serializers.IntegerField(min_value=1, max_value=5, help_text=_("1 (very poor) .. 5."))
    nps = serializers.IntegerField(min_value=0, max_value=10, help_text=_("Likelihood to recommend, 0 .. 10."))
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class SurveyResponseSerializer(StrictModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    respondent_name = serializers.CharField(source="respondent.display_name", read_only=True)
    quarter = serializers.SerializerMethodField(help_text=_("e.g. 2026Q3."))

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "invitation",
            "project",
            "project_code",
            "quarter",
            "answered_at",
            "respondent_name",
            "csat_communication",
            "csat_responsiveness",
            "csat_quality",
            "csat_schedule",
            "csat_overall",
            "nps",
            "comment",
            "issue",
        ]
        read_only_fields = fields
        extra_kwargs = {"issue": {"help_text": "The shared issue opened to follow up a low score, if any."}}

    def get_quarter(self, obj) -> str:
        return quarter_param(obj.quarter)


class CanAnswerSurveys(RolePermission):
    """Reading is scoped; only client users (viewer or approver) answer, and only their own invitations."""

    write_check = staticmethod(access.is_client_user)


class SurveyInvitationViewSet(ScopedReadOnlyViewSet):
    """Survey invitations: a client user's own; CMO staff see every invitation (response rates)."""

    queryset = SurveyInvitation.objects.select_related("project", "round", "round__milestone")
    serializer_class = SurveyInvitationSerializer
    filterset_class = SurveyInvitationFilter
    permission_classes = [CanAnswerSurveys]
    ordering_fields = ["sent_at", "expires_at"]

    @extend_schema(request=SurveyAnswerSerializer, responses={201: SurveyResponseSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer the invitation, once. Answered or expired → 400 with a message; nothing is written."""
        invitation = self.get_object()
        if invitation.recipient_id != request.user.pk:
            raise Http404
        data = SurveyAnswerSerializer(data=request.data)
        services.invitation_check_open(actor=request.user, invitation=invitation)
        data.is_valid(raise_exception=True)
        answers = dict(data.validated_data)
        comment = answers.pop("comment", "")
        response = services.survey_answer(actor=request.user, invitation=invitation, answers=answers, comment=comment)
        return Response(SurveyResponseSerializer(response).data, status=status.HTTP_201_CREATED)


class SurveyResponseViewSet(ScopedReadOnlyViewSet):
    """Survey answers: a client sees its own satisfaction history; CMO staff see every client's."""

    queryset = SurveyResponse.objects.select_related("project", "respondent")
    serializer_class = SurveyResponseSerializer
    filterset_class = SurveyResponseFilter
    ordering_fields = ["answered_at", "nps", "csat_overall"]
