"""``/api/v1/``: one router; every resource registered here is covered by the isolation test."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from clients.api.views import ClientViewSet, TokenView, UserViewSet
from projects.api.views import BaselineViewSet, MilestoneViewSet, ProjectViewSet, TemplateViewSet

app_name = "api"
router = DefaultRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("users", UserViewSet, basename="user")
router.register("projects", ProjectViewSet, basename="project")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("baselines", BaselineViewSet, basename="baseline")
router.register("templates", TemplateViewSet, basename="template")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(router.urls)),
]
