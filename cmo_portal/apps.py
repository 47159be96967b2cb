from django.apps import AppConfig


class CmoPortalConfig(AppConfig):
    """The composition root: demo portfolio, dashboards, database roles, audit chain."""

    name = "cmo_portal"
    label = "cmo_portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.backends.signals import connection_created

        from cmo_portal import audit_export
        from projects import extensions

        extensions.AUDIT_PAGE.append(audit_page_part)
        audit_export.register()  # the audit trail PDF as an export job (metrics.export_jobs)
        refuse_admin_deletes_of_tracked_models()
        if settings.REFUSE_SUPERUSER:
            connection_created.connect(refuse_superuser, dispatch_uid="cmo-refuse-superuser")


#: Set by ``manage.py migrate`` while it runs as the schema owner.
MIGRATING_AS_OWNER = {"active": False}


def refuse_superuser(sender, connection, **kwargs) -> None:
    """Production never runs the application as a database superuser (it could rewrite the audit trail)."""
    from django.core.exceptions import ImproperlyConfigured

    from cmo_portal.db_roles import is_superuser

    if MIGRATING_AS_OWNER["active"] or connection.alias != "default":
        return
    if is_superuser(connection):
        raise ImproperlyConfigured(
            "DATABASE_URL connects as a PostgreSQL superuser. Use a role that is not (DATABASE_OWNER_URL runs "
            "the migrations and creates it): see README, Configuration."
        )


def audit_page_part(user, project) -> dict:
    """The audit chain's head on the audit reports, so an inspector can note it and compare later."""
    from cmo_portal.audit_chain import chain_head

    return {"chain_head": chain_head()}


def refuse_admin_deletes_of_tracked_models() -> None:
    """GMP records (every audited model) are archived or deactivated, never deleted, also in the admin."""
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        if hasattr(model, "pgh_event_model"):
            model_admin.has_delete_permission = lambda request, obj=None: False
