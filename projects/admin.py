"""Django admin for CMO administrators. Changes made here are audited with the channel "admin"."""

from django.contrib import admin

from projects.plan_templates.models import ChecklistItemTemplate, MilestoneTemplate, ProjectTemplate
from projects.records import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "client", "service_type", "manager", "status", "target_date"]
    list_filter = ["status", "service_type", "client"]
    search_fields = ["code", "name", "product"]
    list_select_related = ["client", "manager"]
    readonly_fields = ["version", "scores_stale"]


class MilestoneTemplateInline(admin.TabularInline):
    model = MilestoneTemplate
    extra = 0
    fields = ["sequence", "name", "offset_days", "duration_days", "weight", "value_adding", "client_visible"]


@admin.register(ProjectTemplate)
class ProjectTemplateAdmin(admin.ModelAdmin):
    """Templates are the CMO's repeatable best practice: milestones with offsets, weights and checklists."""

    list_display = ["name", "service_type", "active"]
    list_filter = ["service_type", "active"]
    inlines = [MilestoneTemplateInline]


class ChecklistItemTemplateInline(admin.TabularInline):
    model = ChecklistItemTemplate
    extra = 0


@admin.register(MilestoneTemplate)
class MilestoneTemplateAdmin(admin.ModelAdmin):
    list_display = ["template", "sequence", "name", "offset_days", "duration_days", "weight"]
    list_filter = ["template"]
    inlines = [ChecklistItemTemplateInline]
