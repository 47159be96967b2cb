"""The weekly digest e-mail (Monday 07:00 UTC): leadership gets the portfolio, client users their projects.
It goes out once per ISO week (``PeriodicRun``), however often the task is dispatched.

Each recipient's content comes from that recipient's own scope (``for_user``), so a client's digest can
only hold its own projects and never internal cost figures.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from clients.languages import language_of
from clients.models import Role, User
from metrics.locks import DIGEST_LOCK, try_xact_lock
from metrics.periodic_runs.services import WEEKLY_DIGEST, iso_week_start, periodic_run_claim
from metrics.portfolio.selectors import portfolio_rows
from projects import selectors as project_selectors

logger = logging.getLogger(__name__)


def _rag(rag: str) -> str:
    """A RAG band in the digest's words (lower case, as in "risk 62 (red)")."""
    return {
        "green": pgettext("RAG band", "green"),
        "amber": pgettext("RAG band", "amber"),
        "red": pgettext("RAG band", "red"),
    }.get(rag, rag)


def _client_lines(user) -> list[str]:
    lines = []
    for project in project_selectors.project_list(user=user):
        risk = (
            _("risk %(risk)s (%(rag)s)") % {"risk": f"{project.risk_score:.0f}", "rag": _rag(project.rag)}
            if project.rag
            else _("not scored yet")
        )
        nxt = (
            _("next: %(milestone)s on %(date)s")
            % {
                "milestone": project.next_milestone_name,
                "date": formats.date_format(project.next_milestone_date, "d M Y"),
            }
            if project.next_milestone_name and project.next_milestone_date
            else _("no open milestone")
        )
        lines.append(
            "- "
            + _("%(code)s %(name)s: %(risk)s; %(next)s")
            % {"code": project.code, "name": project.name, "risk": risk, "next": nxt}
        )
    return lines


def _leadership_lines(user) -> list[str]:
    rows = portfolio_rows(user=user)
    lines = [
        "- "
        + _("%(code)s (%(client)s): risk %(risk)s %(rag)s — %(reason)s")
        % {
            "code": r.code,
            "client": r.client,
            "risk": f"{r.risk_score:.0f}",
            "rag": _rag(r.rag),
            "reason": r.top_reason,
        }
        for r in rows
        if r.rag
    ][:15]
    red = sum(1 for r in rows if r.rag == "red")
    summary = ngettext("%(count)s open project, %(red)s red.", "%(count)s open projects, %(red)s red.", len(rows)) % {
        "count": len(rows),
        "red": red,
    }
    return [summary, *lines]


def weekly_digest_messages(*, now: dt.datetime) -> list[EmailMessage]:
    """The digest each recipient would get (leadership and every active client user with projects); sends nothing."""
    recipients = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(role__in=[Role.LEADERSHIP, Role.CLIENT_VIEWER, Role.CLIENT_APPROVER])
        .select_related("client")
        .order_by("pk")
    )
    messages = []
    for user in recipients:
        with translation.override(language_of(user)):  # written in the recipient's language
            lines = _leadership_lines(user) if user.role == Role.LEADERSHIP else _client_lines(user)
            if not lines:
                continue
            greeting = (
                _("Hello %(name)s,") % {"name": user.display_name}
                + "\n\n"
                + _("Your week in the CMO Portal (%(date)s):") % {"date": formats.date_format(now, "d M Y")}
                + "\n\n"
            )
            details = _("Details: %(link)s") % {"link": f"{settings.PORTAL_BASE_URL}/"}
            messages.append(
                EmailMessage(
                    subject="[CMO Portal] " + _("Weekly digest"),
                    body=greeting + "\n".join(lines) + f"\n\n{details}\n",
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[user.email],
                )
            )
    return messages


def weekly_digest_send(*, now: dt.datetime | None = None) -> int | None:
    """Send this ISO week's digest, once: returns the e-mails sent; None when skipped (another run holds the
    lock, or the week's digest already went out, whatever the number of beats, dispatches or retries)."""
    now = now or timezone.now()
    with transaction.atomic():
        if not try_xact_lock(DIGEST_LOCK):
            logger.info("Another digest run holds the lock; skipping.")
            return None
        week = iso_week_start(now)
        if not periodic_run_claim(job=WEEKLY_DIGEST, period_start=week):
            logger.info("The digest of the week of %s already went out; skipping.", f"{week:%Y-%m-%d}")
            return None
        messages = weekly_digest_messages(now=now)
        # Sent inside the transaction: if sending fails, the week's claim rolls back and a retry can send.
        return get_connection().send_messages(messages) or 0
