"""Writes of the satisfaction surveys: rounds and invitations, reminders, expiry, answers and the
detractor follow-up issue. Reads are in ``metrics/surveys/selectors.py``.

Rules (docs/lean.md, "Satisfaction surveys"):

* a round opens when a client-visible milestone completes (at most one round per project every
  30 days, milestones completed in the last 14 days), and quarterly on long projects (planned for
  more than 90 days, started at least 90 days ago, no round for 90 days);
* every active user of the project's client is invited once per round, by an in-app notification
  and its e-mail, which carry a signed link;
* a reminder goes out after 7 days; the invitation expires after 30;
* an invitation is answered once; a detractor (NPS 0–6) or any CSAT of 1–2 opens one shared issue
  assigned to the project's PM, so the client sees the CMO act on it.
"""

import datetime as dt
import logging

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients import access
from clients.models import CLIENT_ROLES, User
from core import events, phrases
from core.audit import audit_context
from metrics.locks import SURVEY_SCHEDULE_LOCK, try_xact_lock
from metrics.periodic_runs.services import SURVEY_SCHEDULE, hour_start, periodic_run_claim
from metrics.quarters import quarter_of
from metrics.surveys.models import (
    CSAT_FIELDS,
    InvitationStatus,
    SurveyInvitation,
    SurveyResponse,
    SurveyRound,
    SurveyTrigger,
)
from metrics.surveys.satisfaction import needs_follow_up
from projects.models import Milestone, Project, ProjectStatus
from projects.notifications.services import notify

logger = logging.getLogger(__name__)

REMIND_AFTER = dt.timedelta(days=7)

EXPIRE_AFTER = dt.timedelta(days=30)

MILESTONE_LOOKBACK = dt.timedelta(days=14)

ROUND_COOLDOWN = dt.timedelta(days=30)

QUARTERLY_INTERVAL = dt.timedelta(days=90)

LONG_PROJECT = dt.timedelta(days=90)

SIGNING_SALT = "metrics.surveys.invitation"

CSAT_LABELS = {
    "csat_communication": "Communication",
    "csat_responsiveness": "Responsiveness",
    "csat_quality": "Quality",
    "csat_schedule": "Schedule",
    "csat_overall": "Overall",
}


class SurveyRefused(ValidationError):
    """The invitation cannot be answered (already answered, or expired); nothing was written.

    ``code`` is ``answered`` or ``expired``.
    """


def invitation_token(invitation: SurveyInvitation) -> str:
    """A signed, tamper-proof token naming the invitation and its recipient (django.core.signing)."""
    return signing.dumps({"i": invitation.pk, "u": invitation.recipient_id}, salt=SIGNING_SALT)


def invitation_id_from_token(token: str) -> tuple[int, int]:
    """(invitation id, recipient id) of a token; ``signing.BadSignature`` when forged or damaged."""
    data = signing.loads(token, salt=SIGNING_SALT)
    if not (isinstance(data, dict) and isinstance(data.get("i"), int) and isinstance(data.get("u"), int)):
        raise signing.BadSignature("Malformed survey token.")
    return data["i"], data["u"]


def invitation_url(invitation: SurveyInvitation) -> str:
    return reverse("survey-answer", kwargs={"token": invitation_token(invitation)})


def surveys_run_schedule(*, now: dt.datetime | None = None) -> dict[str, int] | None:
    """The hourly survey job: expire, open rounds, remind. Skips (None) if another run holds the lock or the
    hour's run already happened (``PeriodicRun``): invitations and reminders go out once per hour at most."""
    now = now or timezone.now()
    with transaction.atomic(), audit_context(channel="task", reason="Survey schedule"):
        if not try_xact_lock(SURVEY_SCHEDULE_LOCK):
            logger.info("Another survey run holds the lock; skipping.")
            return None
        if not periodic_run_claim(job=SURVEY_SCHEDULE, period_start=hour_start(now)):
            logger.info("The survey schedule already ran for the hour of %s; skipping.", f"{hour_start(now):%H:%M}")
            return None
        expired = survey_invitations_expire(now=now)
        rounds = survey_rounds_open(now=now)
        reminded = survey_reminders_send(now=now)
    return {
        "expired": expired,
        "rounds": len(rounds),
        "invitations": sum(r.invited for r in rounds),
        "reminded": reminded,
    }


def _milestone_rounds_due(now: dt.datetime) -> list[tuple[int, int]]:
    """(project id, milestone id): the latest client-visible milestone completed recently per project."""
    today = now.date()
    recent_round = SurveyRound.objects.filter(project=OuterRef("project"), opened_at__gt=now - ROUND_COOLDOWN)
    candidates = (
        Milestone.objects.filter(
            client_visible=True,
            actual_date__gte=today - MILESTONE_LOOKBACK,
            actual_date__lte=today,
            project__status__in=[ProjectStatus.ACTIVE, ProjectStatus.COMPLETED],
            project__client__active=True,
        )
        .exclude(Exists(SurveyRound.objects.filter(milestone=OuterRef("pk"))))
        .exclude(Exists(recent_round))
        .order_by("project_id", "-actual_date", "-sequence")
        .distinct("project_id")
        .values_list("project_id", "pk")
    )
    return list(candidates)


def _quarterly_rounds_due(now: dt.datetime, exclude: set[int]) -> list[int]:
    today = now.date()
    recent_round = SurveyRound.objects.filter(project=OuterRef("pk"), opened_at__gt=now - QUARTERLY_INTERVAL)
    return [
        pk
        for pk in Project.objects.filter(
            status=ProjectStatus.ACTIVE,
            client__active=True,
            start_date__lte=today - LONG_PROJECT,
            target_date__gt=F("start_date") + LONG_PROJECT,
        )
        .exclude(Exists(recent_round))
        .order_by("pk")
        .values_list("pk", flat=True)
        if pk not in exclude
    ]


def survey_rounds_open(*, now: dt.datetime) -> list[SurveyRound]:
    """Open the rounds that are due and invite every active user of each project's client.

    Set-based: a fixed number of queries plus one notification per invitation.
    """
    quarter = quarter_of(now)
    due = _milestone_rounds_due(now)
    rounds = [
        SurveyRound(project_id=pid, trigger=SurveyTrigger.MILESTONE, milestone_id=mid, quarter=quarter, opened_at=now)
        for pid, mid in due
    ]
    rounds += [
        SurveyRound(project_id=pid, trigger=SurveyTrigger.QUARTERLY, quarter=quarter, opened_at=now)
        for pid in _quarterly_rounds_due(now, exclude={pid for pid, _ in due})
    ]
    if not rounds:
        return []
    rounds = SurveyRound.objects.bulk_create(rounds)
    projects = Project.objects.select_related("client").in_bulk([r.project_id for r in rounds])
    recipients: dict[int, list[User]] = {}
    for user in User.objects.filter(
        client_id__in={p.client_id for p in projects.values()}, role__in=CLIENT_ROLES, is_active=True
    ).order_by("pk"):
        recipients.setdefault(user.client_id, []).append(user)
    invitations = []
    for survey_round in rounds:
        project = projects[survey_round.project_id]
        for user in recipients.get(project.client_id, []):
            invitations.append(
                SurveyInvitation(
                    round=survey_round,
                    project=project,
                    recipient=user,
                    sent_at=now,
                    expires_at=now + EXPIRE_AFTER,
                )
            )
    invitations = SurveyInvitation.objects.bulk_create(invitations)
    counts: dict[int, int] = {}
    for invitation in invitations:
        counts[invitation.round_id] = counts.get(invitation.round_id, 0) + 1
        project = projects[invitation.project_id]
        notify(
            recipients=[invitation.recipient],
            kind="survey_invitation",
            project=project,
            text=phrases.phrase(
                gettext_noop("%(code)s: how are we doing? A one-minute survey about %(name)s awaits you."),
                code=project.code,
                name=project.name,
            ),
            url=invitation_url(invitation),
        )
    for survey_round in rounds:
        survey_round.invited = counts.get(survey_round.pk, 0)
    return rounds


def survey_reminders_send(*, now: dt.datetime) -> int:
    """Remind, once, every invitation still open 7 days after it was sent. Returns how many."""
    due = list(
        SurveyInvitation.objects.filter(
            status=InvitationStatus.OPEN,
            reminded_at__isnull=True,
            sent_at__lte=now - REMIND_AFTER,
            expires_at__gt=now,
        ).select_related("project", "recipient")
    )
    for invitation in due:
        notify(
            recipients=[invitation.recipient],
            kind="survey_reminder",
            project=invitation.project,
            text=phrases.phrase(
                gettext_noop("%(code)s: a reminder — your one-minute survey closes on %(date)s."),
                code=invitation.project.code,
                date=invitation.expires_at,
            ),
            url=invitation_url(invitation),
        )
    SurveyInvitation.objects.filter(pk__in=[i.pk for i in due]).update(reminded_at=now)
    return len(due)


def survey_invitations_expire(*, now: dt.datetime) -> int:
    """Close every open invitation past its expiry (30 days after it was sent). Returns how many."""
    return SurveyInvitation.objects.filter(status=InvitationStatus.OPEN, expires_at__lte=now).update(
        status=InvitationStatus.EXPIRED
    )


def _validated_answers(answers: dict) -> dict[str, int]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for name in CSAT_FIELDS:
        value = answers.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[name] = [_("Choose 1 (very poor) to 5 (excellent).")]
        else:
            clean[name] = value
    nps = answers.get("nps")
    if isinstance(nps, bool) or not isinstance(nps, int) or not 0 <= nps <= 10:
        errors["nps"] = [_("Choose 0 (not at all likely) to 10 (extremely likely).")]
    else:
        clean["nps"] = nps
    if errors:
        raise ValidationError(errors)
    return clean


def _refuse_if_closed(invitation: SurveyInvitation, now: dt.datetime) -> None:
    if invitation.status == InvitationStatus.ANSWERED:
        when = formats.date_format(timezone.localtime(invitation.answered_at), "d M Y")
        raise SurveyRefused(
            _("You already answered this survey on %(date)s. Each invitation is answered once — thank you.")
            % {"date": when},
            code="answered",
        )
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
        when = formats.date_format(timezone.localtime(invitation.expires_at), "d M Y")
        raise SurveyRefused(
            _(
                "This survey closed on %(date)s and can no longer be answered. "
                "Raise an issue on the project if you want to tell us something."
            )
            % {"date": when},
            code="expired",
        )


def invitation_check_open(*, actor, invitation: SurveyInvitation, now: dt.datetime | None = None) -> None:
    """Raise ``PermissionDenied`` unless addressed to ``actor``, ``SurveyRefused`` unless still open."""
    if not (access.is_client_user(actor) and invitation.recipient_id == actor.pk):
        raise PermissionDenied(_("This survey invitation is not addressed to you."))
    _refuse_if_closed(invitation, now or timezone.now())


def _follow_up_text(response: SurveyResponse) -> tuple[str, str]:
    low = [CSAT_LABELS[n] for n in CSAT_FIELDS if getattr(response, n) <= 2]
    parts = [f"NPS {response.nps}/10"] + [f"{label} {getattr(response, n)}/5" for n, label in CSAT_LABELS.items()]
    title = f"Survey follow-up: NPS {response.nps}/10, overall {response.csat_overall}/5"
    if low:
        title += f" (low: {', '.join(low)})"
    description = (
        "Opened automatically from a satisfaction survey answer so that we follow it up with you.\n\n"
        f"Scores: {', '.join(parts)}.\n\nComment: {response.comment or '(none)'}"
    )
    return title[:200], description


@transaction.atomic
def survey_answer(*, actor, invitation: SurveyInvitation, answers: dict, comment: str = "") -> SurveyResponse:
    """Record the invitee's answer, once. A detractor or a CSAT of 1–2 opens one shared issue for the PM.

    Refusals (``PermissionDenied``, ``SurveyRefused``, ``ValidationError``) write nothing.
    """
    from projects.issues.services import issue_raise
    from projects.records import project_inputs_changed

    now = timezone.now()
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("project", "round")
        .get(pk=invitation.pk)
    )
    invitation_check_open(actor=actor, invitation=invitation, now=now)
    if invitation.project.client_id != actor.client_id:
        raise PermissionDenied(_("This survey invitation is not addressed to you."))
    scores = _validated_answers(answers)
    with audit_context(actor=actor, reason="Satisfaction survey answered"):
        response = SurveyResponse.objects.create(
            invitation=invitation,
            project=invitation.project,
            respondent=actor,
            quarter=invitation.round.quarter,
            answered_at=now,
            comment=(comment or "").strip()[:4000],
            **scores,
        )
        SurveyInvitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.ANSWERED, answered_at=now)
        if needs_follow_up(nps=response.nps, csat=[getattr(response, n) for n in CSAT_FIELDS]):
            title, description = _follow_up_text(response)
            issue = issue_raise(
                actor=actor, project=invitation.project, title=title, description=description, visibility="shared"
            )
            SurveyResponse.objects.filter(pk=response.pk).update(issue=issue)
            response.issue = issue
        project_inputs_changed(invitation.project_id)
        events.publish(events.SURVEY_ANSWERED, project_id=invitation.project_id, record_id=response.pk)
    return response


def open_invitations(*, user, now: dt.datetime | None = None):
    """The user's invitations still to answer, soonest to close first (one query)."""
    now = now or timezone.now()
    return (
        SurveyInvitation.objects.for_user(user)
        .filter(recipient=user, status=InvitationStatus.OPEN, expires_at__gt=now)
        .select_related("project", "round", "round__milestone")
        .order_by("expires_at", "pk")
    )
