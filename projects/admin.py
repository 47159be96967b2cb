from django.contrib import admin

from projects.models import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "client", "service_type", "manager", "status", "target_date"]
    list_filter = ["status", "service_type", "client"]
    search_fields = ["code", "name", "product"]
    list_select_related = ["client", "manager"]
