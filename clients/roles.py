"""The roles a user can have, and which are the client's and which the CMO's (no model imports: access uses it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLIENT_VIEWER = "client_viewer", _("Client viewer")
    CLIENT_APPROVER = "client_approver", _("Client approver")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    LEADERSHIP = "leadership", _("Leadership")
    ADMIN = "admin", _("Administrator")


# Tuples, not sets: the user constraint below lists them, and migrations need a stable order.
CLIENT_ROLES = (Role.CLIENT_APPROVER, Role.CLIENT_VIEWER)
STAFF_ROLES = (Role.ADMIN, Role.PROJECT_MANAGER, Role.LEADERSHIP)
