"""Django admin for CMO administrators. Changes made here are audited with the channel "admin"."""

from django.contrib import admin

from core.admin_reason import ReasonAdmin, ReasonInline
from projects import services
from projects.forms import ProjectAdminForm
from projects.plan_templates.models import ChecklistItemTemplate, MilestoneTemplate, ProjectTemplate
from projects.records import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    """Edits go through the project services (version bump, stale scores, reason); GMP records are never deleted."""

    form = ProjectAdminForm
    list_display = ["code", "name", "client", "service_type", "manager", "status", "target_date"]
    list_filter = ["status", "service_type", "client"]
    search_fields = ["code", "name", "product"]
    list_select_related = ["client", "manager"]
    readonly_fields = ["version", "scores_stale"]

    def get_readonly_fields(self, request, obj=None):
        # Only what project_update may change is editable on an existing project (client, code, matrix are not).
        if obj is None:
            return self.readonly_fields
        editable = set(services.PROJECT_EDITABLE_FIELDS)
        return [f.name for f in Project._meta.concrete_fields if f.name not in editable and f.name != "id"]

    def save_model(self, request, obj, form, change):
        if not change:
            fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f != "reason"}
            form.instance = services.project_create(
                actor=request.user, reason=form.cleaned_data.get("reason"), **fields
            )
            return
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in services.PROJECT_EDITABLE_FIELDS}
        if changes:
            services.project_update(
                actor=request.user, project=obj, reason=form.cleaned_data.get("reason", ""), **changes
            )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # GMP records are archived (status), never deleted


class MilestoneTemplateInline(ReasonInline):
    model = MilestoneTemplate
    fields = ["sequence", "name", "offset_days", "duration_days", "weight", "value_adding", "client_visible"]


@admin.register(ProjectTemplate)
class ProjectTemplateAdmin(ReasonAdmin):
    """Templates are the CMO's repeatable best practice: milestones with offsets, weights and checklists."""

    list_display = ["name", "service_type", "active"]
    list_filter = ["service_type", "active"]
    inlines = [MilestoneTemplateInline]


class ChecklistItemTemplateInline(ReasonInline):
    model = ChecklistItemTemplate


@admin.register(MilestoneTemplate)
class MilestoneTemplateAdmin(ReasonAdmin):
    list_display = ["template", "sequence", "name", "offset_days", "duration_days", "weight"]
    list_filter = ["template"]
    inlines = [ChecklistItemTemplateInline]
