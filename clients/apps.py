from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Clients and users"

    def ready(self) -> None:
        from clients import security, two_factor

        security.connect()
        two_factor.connect()
