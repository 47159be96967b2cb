from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from clients.models import Client, PMCertification, User


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "email", "role", "client", "is_active"]
    list_filter = ["role", "client", "is_active"]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Portal", {"fields": ("full_name", "role", "client")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Portal", {"fields": ("full_name", "role", "client")}))


@admin.register(PMCertification)
class PMCertificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "issued", "expires"]
    list_filter = ["kind"]
