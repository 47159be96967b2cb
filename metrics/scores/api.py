"""The scores API: latest scores, a project's score history and the what-if (through the reader's lens).

``ProjectViewSet`` here extends the projects app's viewset with the score actions, so that
``/api/v1/projects/{id}/scores/`` and ``/what-if/`` stay where they are while projects never imports metrics.
"""

from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import phrases
from core.api import RolePermission
from core.filtering import IdFilter, StrictFilterBackend, StrictFilterSet
from core.serializers import StrictSerializer
from metrics.scores.models import CurrentScore
from projects.api.views import ProjectViewSet as BaseProjectViewSet
from projects.models import QualityImpact


class WhatIfRequestSerializer(StrictSerializer):
    schedule_impact_days = serializers.IntegerField(
        default=0, min_value=-365, max_value=730, help_text=_("Days every open milestone's forecast moves.")
    )
    cost_impact = serializers.DecimalField(max_digits=14, decimal_places=2, default=0, help_text=_("Budget change."))
    scope_impact_percent = serializers.DecimalField(
        max_digits=6, decimal_places=2, default=0, min_value=-100, max_value=100, help_text=_("Scope change, percent.")
    )
    quality_impact = serializers.ChoiceField(
        choices=QualityImpact.choices, default="none", help_text=_("Quality impact of the change.")
    )
    change_request = serializers.IntegerField(
        required=False, help_text=_("Optional: evaluate this change request instead (its impacts are used).")
    )


class ScoreResultSerializer(StrictSerializer):
    risk_score = serializers.DecimalField(max_digits=5, decimal_places=2)
    tradeoff_score = serializers.DecimalField(max_digits=5, decimal_places=2)
    rag = serializers.CharField()
    stress = serializers.DictField(child=serializers.DecimalField(max_digits=4, decimal_places=3))
    earned_value = serializers.DictField(child=serializers.CharField(allow_null=True))
    factors = serializers.ListField(child=serializers.DictField())


class WhatIfResponseSerializer(StrictSerializer):
    before = ScoreResultSerializer()
    after = ScoreResultSerializer()


class ScoreSnapshotSerializer(StrictSerializer):
    project = serializers.IntegerField(source="project_id")
    project_code = serializers.CharField(source="project.code")
    bucket = serializers.DateTimeField(help_text=_("Start of the 15-minute period (UTC)."))
    computed_at = serializers.DateTimeField()
    policy_version = serializers.IntegerField()
    risk_score = serializers.DecimalField(max_digits=5, decimal_places=2, help_text=_("0..100, higher is worse."))
    tradeoff_score = serializers.DecimalField(max_digits=5, decimal_places=2, help_text=_("0..100, higher is better."))
    rag = serializers.CharField()
    stress = serializers.SerializerMethodField()
    factors = serializers.SerializerMethodField(help_text=_("Ranked reasons, each with its figure and words."))
    earned_value = serializers.SerializerMethodField()

    def _visible(self, obj) -> dict:
        """The result as the reader may see it: the access decision is made once per request, the result
        filtered once per row (not once per field)."""
        from clients import access
        from metrics.scores.selectors import visible_result

        if "internal" not in self.context:
            self.context["internal"] = access.can_see_internal(self.context["request"].user)
            self.context["language"] = phrases.request_language(self.context["request"])
        if getattr(obj, "_visible_result", None) is None:
            with translation.override(self.context["language"]):  # the reasons in the requester's language
                obj._visible_result = visible_result(None, obj.result, internal=self.context["internal"])
        return obj._visible_result

    def get_stress(self, obj) -> dict:
        return obj.result["stress"]

    def get_factors(self, obj) -> list:
        return self._visible(obj)["factors"]

    def get_earned_value(self, obj) -> dict:
        return self._visible(obj)["earned_value"]


class ProjectViewSet(BaseProjectViewSet):
    """Projects in the caller's scope; PMs and admins create (optionally from a template) and update."""

    @extend_schema(responses=ScoreSnapshotSerializer(many=True))
    @action(detail=True, methods=["get"], permission_classes=[RolePermission], filter_backends=[])
    def scores(self, request, pk=None):
        """The project's score history, newest first (one snapshot per 15-minute period)."""
        from metrics.scores.selectors import snapshot_history

        project = self.get_object()
        page = self.paginate_queryset(snapshot_history(user=request.user, project=project).select_related("project"))
        return self.get_paginated_response(ScoreSnapshotSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(request=WhatIfRequestSerializer, responses=WhatIfResponseSerializer)
    @action(detail=True, methods=["post"], url_path="what-if", permission_classes=[permissions.IsAuthenticated])
    def what_if(self, request, pk=None):
        """Risk and tradeoff before and after a hypothetical change (or a change request); writes nothing."""
        from metrics import scoring
        from metrics.scores.models import lens_for
        from metrics.scores.selectors import change_from_request, visible_result
        from metrics.scores.selectors import what_if as compute_what_if
        from projects.models import ChangeRequest, ChangeRequestStatus

        project = self.get_object()
        serializer = WhatIfRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        was_pending = False
        if "change_request" in data:
            change = ChangeRequest.objects.for_user(request.user).filter(pk=data.pop("change_request"), project=project)
            change = change.first()
            if change is None:
                raise Http404
            hypothetical = change_from_request(change)
            was_pending = change.status == ChangeRequestStatus.SUBMITTED
        else:
            hypothetical = scoring.HypotheticalChange(**data)
        before, after = compute_what_if(
            project=project, change=hypothetical, was_pending=was_pending, lens=lens_for(request.user)
        )
        with translation.override(phrases.request_language(request)):  # the reasons in the requester's language
            return Response(
                {
                    "before": visible_result(request.user, before.to_dict()),
                    "after": visible_result(request.user, after.to_dict()),
                }
            )


class ScoreFilter(StrictFilterSet):
    project = IdFilter(field_name="project_id", help_text=_("Only this project's latest scores."))
    client = IdFilter(field_name="project__client_id", help_text=_("Only the latest scores of this client's projects."))

    class Meta:
        model = CurrentScore
        fields = ["project", "client"]


class ScoreViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The latest scores of every project in scope, by project, paginated; ``?project=`` / ``?client=`` filter."""

    serializer_class = ScoreSnapshotSerializer
    queryset = CurrentScore.objects.none()  # the model, for the schema and filters: one current score per project
    filter_backends = [StrictFilterBackend]  # sorted by project: the current-score pointer's order
    filterset_class = ScoreFilter

    def get_queryset(self):
        from metrics.scores.selectors import latest_scores

        return latest_scores(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        snapshots = []
        for current in page:
            current.snapshot.project = current.project  # read with the pointer: no query per row
            snapshots.append(current.snapshot)
        return self.get_paginated_response(self.get_serializer(snapshots, many=True).data)
