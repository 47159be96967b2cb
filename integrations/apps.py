from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        """Listen to the domain events of the lower layers (they never import this app)."""
        from core import events
        from integrations import services

        if services.webhook_event_record not in events.LISTENERS:
            events.LISTENERS.append(services.webhook_event_record)
