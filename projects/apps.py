from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self) -> None:
        # Celery's autodiscovery looks for ``projects.tasks`` only; the tasks live with notifications and documents.
        from projects.documents import tasks as document_tasks  # noqa: F401
        from projects.notifications import tasks  # noqa: F401
