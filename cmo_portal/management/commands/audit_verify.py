"""``manage.py audit_verify``: seal pending events, walk the audit chain; exit 0 when intact, 1 naming the break."""

from django.core.management.base import BaseCommand, CommandError

from cmo_portal.audit_chain import audit_seal, audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (seals committed events first unless --no-seal)."

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true", help="Verify only what is sealed already.")

    def handle(self, *args, **options):
        if not options["no_seal"]:
            audit_seal()
        report = audit_verify()
        if not report.ok:
            raise CommandError(f"Audit chain BROKEN after {report.links} links: {report.problem}.")
        self.stdout.write(f"Audit chain intact: {report.links} events, head {report.head}")
