"""``/api/v1/``: one router; every resource registered here is covered by the isolation test."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from clients.api.views import ClientViewSet, TokenView, UserViewSet
from integrations.api import WebhookEndpointViewSet
from metrics.lean.api import LeanPortfolioView
from metrics.portfolio.api import PMCertificationViewSet, PortfolioSummaryView
from metrics.scores.api import ProjectViewSet, ScoreViewSet  # the projects viewset with its score actions
from metrics.surveys.api import SurveyInvitationViewSet, SurveyResponseViewSet
from projects.baselines.api import BaselineViewSet
from projects.change_requests.api import ChangeRequestViewSet
from projects.costs.api import CostEntryViewSet, InvoiceViewSet
from projects.documents.api import DocumentViewSet
from projects.issues.api import IssueViewSet
from projects.milestones.api import MilestoneViewSet
from projects.notifications.api import NotificationViewSet
from projects.plan_imports.api import NewProjectPlanImportView, ProjectPlanImportView
from projects.plan_templates.api import TemplateViewSet
from projects.quality.api import BatchViewSet, QualityEventViewSet
from projects.risks.api import RiskViewSet
from projects.search.api import SearchView

app_name = "api"
router = DefaultRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("users", UserViewSet, basename="user")
router.register("projects", ProjectViewSet, basename="project")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("baselines", BaselineViewSet, basename="baseline")
router.register("templates", TemplateViewSet, basename="template")
router.register("scores", ScoreViewSet, basename="score")
router.register("cost-entries", CostEntryViewSet, basename="cost-entry")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("change-requests", ChangeRequestViewSet, basename="change-request")
router.register("batches", BatchViewSet, basename="batch")
router.register("quality-events", QualityEventViewSet, basename="quality-event")
router.register("risks", RiskViewSet, basename="risk")
router.register("issues", IssueViewSet, basename="issue")
router.register("documents", DocumentViewSet, basename="document")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("surveys", SurveyInvitationViewSet, basename="survey")
router.register("survey-responses", SurveyResponseViewSet, basename="survey-response")
router.register("pm-certifications", PMCertificationViewSet, basename="pm-certification")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("portfolio/summary/", PortfolioSummaryView.as_view(), name="portfolio-summary"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("portfolio/lean/", LeanPortfolioView.as_view(), name="portfolio-lean"),
    path("search/", SearchView.as_view(), name="search"),
    path("projects/<int:pk>/plan-import/", ProjectPlanImportView.as_view(), name="project-plan-import"),
    path("plan-imports/", NewProjectPlanImportView.as_view(), name="plan-import"),
    path("", include(router.urls)),
]
