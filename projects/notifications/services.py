"""In-app notifications and their e-mails.

Rows are written inside the caller's transaction (so they exist exactly when the
change does); e-mails go out after commit through Celery. If the broker or the
mail server fails, ``emailed_at`` stays empty and ``send_pending_emails`` (beat,
every 5 minutes) retries: a failure to send never loses the record.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.languages import language_of
from clients.models import Role, User
from core import phrases
from core.broker import send_task_safely
from projects.notifications.models import Notification
from projects.records import Project

logger = logging.getLogger(__name__)
MAX_EMAIL_ATTEMPTS = 5


def client_approvers(project: Project):
    return User.objects.filter(
        client_id=project.client_id, role=Role.CLIENT_APPROVER, is_active=True, client__active=True
    )


def client_users(project: Project):
    return User.objects.filter(client_id=project.client_id, is_active=True, client__active=True)


def project_staff(project: Project, *, with_leadership: bool = False):
    condition = Q(pk=project.manager_id)
    if with_leadership:
        condition |= Q(role=Role.LEADERSHIP)
    return User.objects.filter(condition, is_active=True)


def _text_for(user, text) -> str:
    """The text in the recipient's language: a lazy text (``format_lazy(gettext_lazy(...), ...)``) is translated
    for each recipient; a plain string is stored as it is."""
    with translation.override(language_of(user)):
        return str(text)[:500]


def notify(*, recipients, kind: str, project: Project | None, text, url: str = "") -> list[Notification]:
    """Create one notification per recipient (deduplicated) and e-mail them after commit.

    ``text`` is best a phrase (``core.phrases.phrase(gettext_noop("..."), ...)``): it is stored with its English
    words and written in the reader's language wherever it is shown, so a reader who changes language reads every
    notification in the new one. A lazy text is written once in each recipient's language; a plain string is
    stored as it is."""
    users = {u.pk: u for u in recipients}
    if isinstance(text, dict):
        english, message = phrases.english(text)[:500], text
        rows = [
            Notification(recipient=u, kind=kind, project=project, text=english, message=message, url=url)
            for u in users.values()
        ]
    else:
        rows = [
            Notification(recipient=u, kind=kind, project=project, text=_text_for(u, text), url=url)
            for u in users.values()
        ]
    notifications = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in notifications]
    if ids:
        transaction.on_commit(lambda: _enqueue_emails(ids))
    return notifications


def _enqueue_emails(ids: list[int]) -> None:
    send_task_safely("projects.tasks.send_notification_emails", ids)  # broker down: the periodic sweep sends them


def send_emails(ids: list[int] | None = None) -> int:
    """E-mail the given notifications (or every pending one); returns how many were sent."""
    with transaction.atomic():
        pending = (
            Notification.objects.filter(emailed_at__isnull=True, email_attempts__lt=MAX_EMAIL_ATTEMPTS)
            .select_related("recipient")
            .select_for_update(skip_locked=True, of=("self",))
        )
        if ids is not None:
            pending = pending.filter(pk__in=ids)
        return _send(list(pending))


def email_subject(text: str) -> str:
    """One line, whatever the text holds (a newline in a header would make the mail library refuse it)."""
    return "[CMO Portal] " + " ".join(text.split())[:80]


def _send(pending: list[Notification]) -> int:
    """Each message on its own: one that cannot be sent is counted and logged, never blocks nor repeats others."""
    sent = 0
    for notification in pending:
        recipient = notification.recipient
        if not recipient.email:
            continue
        link = f"{settings.PORTAL_BASE_URL}{notification.url}" if notification.url else settings.PORTAL_BASE_URL
        try:
            with translation.override(language_of(recipient)):  # the recipient's language, whenever it is sent
                text = notification.shown_text()
                message = text + "\n\n" + _("Open in the portal: %(link)s") % {"link": link} + "\n"
            send_mail(
                subject=email_subject(text),
                message=message,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[recipient.email],
            )
        except Exception:  # SMTP errors, bad headers, ...: this one waits for the next sweep, the others go
            logger.exception("E-mail of notification %s failed", notification.pk)
            Notification.objects.filter(pk=notification.pk).update(email_attempts=F("email_attempts") + 1)
            continue
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def mark_read(*, user, ids: list[int] | None = None) -> int:
    queryset = Notification.objects.for_user(user).filter(read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())
