from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clients import passkeys
from clients import views as client_views
from cmo_portal import dashboard, health, views_audit, views_view_as
from metrics.export_jobs import views as export_views
from metrics.lean import views as lean_views
from metrics.portfolio import views as portfolio_views
from metrics.scores import views as score_views
from metrics.status_report import views as status_report_views
from metrics.surveys import views as survey_views
from projects import views as project_views
from projects.baselines import views as baseline_views
from projects.calendar import views as calendar_views
from projects.change_requests import views as change_request_views
from projects.costs import views as cost_views
from projects.documents import views as document_views
from projects.issues import views as issue_views
from projects.milestones import views as milestone_views
from projects.notifications import views as notification_views
from projects.plan_imports import views as plan_import_views
from projects.quality import views as quality_views
from projects.risks import views as risk_views
from projects.search import views as search_views
from sso import views as sso_views

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("projects/", project_views.project_list, name="project-list"),
    path("projects/new/", project_views.project_create, name="project-create"),
    path("projects/new/from-plan/", plan_import_views.project_create_from_plan, name="plan-import-new"),
    path("projects/<int:pk>/", project_views.project_detail, name="project-detail"),
    path("projects/<int:pk>/start/", project_views.project_start, name="project-start"),
    path("projects/<int:pk>/baselines/", project_views.project_baselines, name="project-baselines"),
    path("projects/<int:pk>/audit/", project_views.project_audit, name="project-audit"),
    path("projects/<int:pk>/audit.csv", project_views.project_audit_csv, name="project-audit-csv"),
    path("projects/<int:pk>/milestones.ics", calendar_views.project_calendar, name="project-calendar"),
    path("calendar/", calendar_views.calendar_subscription, name="calendar-subscription"),
    path("calendar/<str:token>/milestones.ics", calendar_views.calendar_feed, name="calendar-feed"),
    path(
        "calendar/<str:token>/projects/<int:pk>.ics", calendar_views.calendar_feed_project, name="calendar-feed-project"
    ),
    path("milestones/<int:pk>/edit/", project_views.milestone_edit, name="milestone-edit"),
    path("checklist/<int:pk>/toggle/", milestone_views.checklist_toggle, name="checklist-toggle"),
    path("projects/<int:pk>/import-plan/", milestone_views.project_plan_import, name="plan-import"),
    path("baselines/<int:pk>/sign/", baseline_views.baseline_sign, name="baseline-sign"),
    path("projects/<int:pk>/costs/", cost_views.project_costs, name="project-costs"),
    path(
        "projects/<int:pk>/change-requests/",
        change_request_views.project_change_requests,
        name="project-change-requests",
    ),
    path("change-requests/<int:pk>/", change_request_views.change_request_detail, name="change-request-detail"),
    path("projects/<int:pk>/quality/", quality_views.project_quality, name="project-quality"),
    path("projects/<int:pk>/risks/", risk_views.project_risks, name="project-risks"),
    path("projects/<int:pk>/issues/", issue_views.project_issues, name="project-issues"),
    path("issues/<int:pk>/", issue_views.issue_detail, name="issue-detail"),
    path("projects/<int:pk>/documents/", document_views.project_documents, name="project-documents"),
    path("documents/<int:pk>/", document_views.document_detail, name="document-detail"),
    path(
        "documents/versions/<int:pk>/download/",
        document_views.document_version_download,
        name="document-version-download",
    ),
    path("search/", search_views.search_page, name="search"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("projects/<int:pk>/scores/", score_views.project_scores, name="project-scores"),
    path("projects/<int:pk>/status-report/", status_report_views.project_status_report, name="project-status-report"),
    path(
        "projects/<int:pk>/status-report.pdf",
        status_report_views.project_status_report_pdf,
        name="project-status-report-pdf",
    ),
    path("tradeoff-proposals/<int:pk>/decide/", score_views.tradeoff_proposal_decide, name="tradeoff-decide"),
    path("scoring-policy/", score_views.scoring_policy, name="scoring-policy"),
    path("portfolio/", portfolio_views.portfolio, name="portfolio"),
    path("surveys/", survey_views.survey_list, name="survey-list"),
    path("surveys/answer/<str:token>/", survey_views.survey_answer, name="survey-answer"),
    path("portfolio/lean/", lean_views.lean_portfolio, name="lean-portfolio"),
    path("portfolio/kpi-targets/", lean_views.kpi_targets, name="kpi-targets"),
    path("portfolio/pm/", portfolio_views.pm_workload, name="pm-workload"),
    path("portfolio/export/<str:fmt>/", export_views.portfolio_export, name="portfolio-export"),
    path("exports/<int:pk>/", export_views.export_job, name="export-job"),
    path("exports/<int:pk>/download/", export_views.export_job_download, name="export-job-download"),
    path("clients/<int:pk>/view-as/", views_view_as.view_as_start, name="view-as-start"),
    path("view-as/stop/", views_view_as.view_as_stop, name="view-as-stop"),
    path("audit/", views_audit.audit_report_page, name="audit-report"),
    path("audit/report.csv", views_audit.audit_report_csv, name="audit-report-csv"),
    path("audit/report.pdf", views_audit.audit_report_pdf, name="audit-report-pdf"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", client_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password-reset/", client_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        client_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/sso/", sso_views.sso_start, name="sso-start"),
    path("accounts/sso/callback/", sso_views.sso_callback, name="sso-callback"),
    path("accounts/two-factor/", client_views.two_factor_settings, name="two-factor"),
    path("accounts/two-factor/verify/", client_views.two_factor_verify, name="two-factor-verify"),
    path("accounts/two-factor/passkey/<slug:step>/", passkeys.passkey_ceremony, name="passkey"),
    path("accounts/language/", client_views.language_set, name="language-set"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cmo_portal.api_urls")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler404 = "cmo_portal.errors.not_found"
handler500 = "cmo_portal.errors.server_error"
