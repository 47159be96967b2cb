"""The roles a user can have, and which are the client's and which the CMO's (no model imports: access uses it)."""

from django.db import models


class Role(models.TextChoices):
    CLIENT_VIEWER = "client_viewer", "Client viewer"
    CLIENT_APPROVER = "client_approver", "Client approver"
    PROJECT_MANAGER = "project_manager", "Project manager"
    LEADERSHIP = "leadership", "Leadership"
    ADMIN = "admin", "Administrator"


# Tuples, not sets: the user constraint below lists them, and migrations need a stable order.
CLIENT_ROLES = (Role.CLIENT_APPROVER, Role.CLIENT_VIEWER)
STAFF_ROLES = (Role.ADMIN, Role.PROJECT_MANAGER, Role.LEADERSHIP)
