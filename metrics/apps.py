from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self) -> None:
        """Show scores and PM excellence on the projects pages (projects never imports metrics)."""
        from metrics import project_parts
        from projects import extensions

        extensions.PROJECT_HEADER.append(project_parts.header)
        extensions.PROJECT_OVERVIEW.append(project_parts.overview)
        extensions.CHANGE_REQUEST_PAGE.append(project_parts.change_request)
        extensions.PROJECT_LIST_ANNOTATIONS.append(project_parts.project_list_annotations)
