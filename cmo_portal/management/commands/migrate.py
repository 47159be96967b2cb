"""``migrate`` as the schema owner (DATABASE_OWNER_URL), then grant the application role its rights."""

from django.conf import settings
from django.core.management.commands import migrate
from django.db import connections

from cmo_portal.apps import MIGRATING_AS_OWNER
from cmo_portal.db_roles import grant_application_role

CONNECTION_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


class Command(migrate.Command):
    help = migrate.Command.help + " As DATABASE_OWNER_URL when set; then grants the application role (DATABASE_URL)."

    def handle(self, *args, **options):
        owner = getattr(settings, "DATABASE_OWNER", None)
        connection = connections[options["database"]]
        application = {key: connection.settings_dict.get(key) for key in CONNECTION_KEYS}
        if not owner or options["database"] != "default" or owner.get("USER") == application["USER"]:
            return super().handle(*args, **options)
        connection.close()
        connection.settings_dict.update({key: owner.get(key) for key in CONNECTION_KEYS})
        MIGRATING_AS_OWNER["active"] = True
        try:
            super().handle(*args, **options)
            grant_application_role(connection, application["USER"], application["PASSWORD"] or None)
            if options["verbosity"]:
                self.stdout.write(f"Granted the application role {application['USER']!r} its rights.")
        finally:
            connection.close()
            connection.settings_dict.update(application)
            MIGRATING_AS_OWNER["active"] = False
