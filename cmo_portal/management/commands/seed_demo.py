"""``manage.py seed_demo``: the demo portfolio (idempotent) and a table of logins."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cmo_portal.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo clients, users and projects, then print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password for every demo user.")

    def handle(self, *args, **options):
        password = options["password"]
        if len(password) < 8:
            raise CommandError("--password must be at least 8 characters long.")
        with transaction.atomic():
            logins = seed_demo(password=password)
        width = max(len(login.username) for login in logins)
        self.stdout.write(f"Demo logins (password for all: {password})")
        self.stdout.write(f"  {'username':<{width}}  {'role':<17} client")
        for login in logins:
            self.stdout.write(f"  {login.username:<{width}}  {login.role:<17} {login.client or '(CMO staff)'}")
