"""A new project from a plan file (Microsoft Project XML or CSV), and the API of plan imports.

The file is read by ``projects.milestones.plan_import`` (no database); an existing project's import is written by
``projects.milestones.services.milestones_import_plan`` (page: ``projects.milestones.views``). This package adds what
needs the project itself too: the new project's page and service, which reuse the project-create form and service,
and the API of both imports. It lives beside ``projects.milestones`` because it imports ``projects.services``, which
imports the milestones (the apps' modules import each other without cycles).
"""
