"""API of the portfolio: ``portfolio/summary/`` (the report as JSON; PMs: own projects; leadership: all) and
``pm-certifications/`` (PM certificates and training; staff; leadership and admins record them).
"""

import dataclasses

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from clients import access
from clients.models import PMCertification, Role, User
from core.filtering import IdFilter, StrictFilterSet
from core.serializers import StrictModelSerializer
from metrics.portfolio import pm_excellence, selectors


class PortfolioSummaryView(APIView):
    """Open projects ranked by risk, a page of 50 at a time (``?page=``), with the RAG counts of all of them;
    client users get 404."""

    @extend_schema(
        parameters=[OpenApiParameter("page", int, description="Page number, from 1 (50 projects a page).")],
        responses={
            200: inline_serializer(
                "PortfolioSummary",
                {
                    "counts": serializers.DictField(child=serializers.IntegerField()),
                    "count": serializers.IntegerField(help_text=_("Open projects in all pages.")),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "projects": serializers.ListField(help_text=_("This page's projects, ranked by risk.")),
                },
            ),
            404: OpenApiResponse(description="Client users: there is no portfolio for them."),
        },
    )
    def get(self, request):
        if not access.can_view_portfolio(request.user):
            raise Http404
        from core.filtering import StrictPageNumberPagination

        paginator = StrictPageNumberPagination()
        page = paginator.paginate_queryset(selectors.portfolio_ranked(user=request.user), request, view=self)
        rows = selectors.portfolio_rows(user=request.user, projects=page)
        counts = selectors.portfolio_counts(user=request.user)
        return Response(
            {
                "counts": {k: counts[k] for k in ("red", "amber", "green", "none")},
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "projects": [dataclasses.asdict(r) for r in rows],
            }
        )


class CanRecordCertifications(permissions.BasePermission):
    """CMO staff read (a PM their own); leadership and admins record."""

    def has_permission(self, request, view) -> bool:
        if not access.is_staff_user(request.user):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return pm_excellence.can_record_certification(request.user)


class PMCertificationSerializer(StrictModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.PROJECT_MANAGER), help_text=_("Id of the project manager.")
    )
    user_name = serializers.CharField(source="user.display_name", read_only=True)
    current = serializers.SerializerMethodField(help_text=_("Issued and not expired today."))

    class Meta:
        model = PMCertification
        fields = ["id", "user", "user_name", "kind", "issued", "expires", "current"]
        read_only_fields = ["id"]

    def get_current(self, obj) -> bool:
        return pm_excellence.is_current(obj, timezone.localdate())


class PMCertificationFilter(StrictFilterSet):
    user = IdFilter(field_name="user_id", help_text=_("Only this PM's certificates."))

    class Meta:
        model = PMCertification
        fields = ["user", "kind"]


class PMCertificationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """PM certifications and internal PM training, with expiry (CMO staff only)."""

    serializer_class = PMCertificationSerializer
    filterset_class = PMCertificationFilter
    permission_classes = [CanRecordCertifications]
    queryset = PMCertification.objects.none()
    ordering_fields = ["issued", "expires"]

    def get_queryset(self):
        return pm_excellence.certifications_for(self.request.user).order_by("user__username", "-issued", "pk")

    def perform_create(self, serializer):
        serializer.instance = pm_excellence.pm_certification_record(
            actor=self.request.user, **serializer.validated_data
        )
