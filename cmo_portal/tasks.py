"""Periodic work of the composition root: seal and verify the audit chain."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="cmo_portal.tasks.seal_audit_chain", acks_late=True, soft_time_limit=120, time_limit=150)
def seal_audit_chain() -> int:
    from cmo_portal.audit_chain import audit_seal

    return audit_seal()


@shared_task(name="cmo_portal.tasks.verify_audit_chain", acks_late=True, soft_time_limit=480, time_limit=540)
def verify_audit_chain() -> bool:
    """Seal, then verify; a broken chain alerts leadership and administrators (bell and e-mail)."""
    from cmo_portal.audit_chain import audit_seal, audit_verify

    audit_seal()
    report = audit_verify()
    if not report.ok:
        logger.error("Audit chain broken: %s", report.problem)
        from django.utils.text import format_lazy
        from django.utils.translation import gettext_lazy

        from clients.models import Role, User
        from projects.notifications.services import notify

        notify(
            recipients=User.objects.filter(role__in=[Role.LEADERSHIP, Role.ADMIN], is_active=True),
            kind="audit_chain_broken",
            project=None,
            text=format_lazy(
                gettext_lazy("The audit trail's hash chain is broken: {problem}. Inspect before the next release."),
                problem=report.problem,
            ),
            url="",
        )
    return report.ok
