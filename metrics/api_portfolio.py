"""``/api/v1/portfolio/summary/``: the portfolio report as JSON (PMs: own projects; leadership: all)."""

import dataclasses

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics import portfolio as report


class PortfolioSummaryView(APIView):
    """Open projects ranked by risk with RAG counts; client users get 404."""

    @extend_schema(
        responses=inline_serializer(
            "PortfolioSummary",
            {"counts": serializers.DictField(child=serializers.IntegerField()), "projects": serializers.ListField()},
        )
    )
    def get(self, request):
        if not report.can_view_portfolio(request.user):
            raise Http404
        rows = report.portfolio_rows(user=request.user)
        return Response({"counts": report.rag_counts(rows), "projects": [dataclasses.asdict(r) for r in rows]})
