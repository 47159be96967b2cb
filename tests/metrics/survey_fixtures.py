"""Survey, Lean and certification records for tests (the isolation routes point at client B's)."""

import datetime as dt

from django.utils import timezone

from clients.models import CertificationKind, PMCertification
from metrics.models import InvitationStatus, SurveyInvitation, SurveyResponse, SurveyRound, SurveyTrigger
from metrics.quarters import quarter_of
from metrics.surveys import EXPIRE_AFTER, invitation_token


def make_invitation(
    project, recipient, *, sent_at: dt.datetime | None = None, milestone=None, quarter: dt.date | None = None
) -> SurveyInvitation:
    sent_at = sent_at or timezone.now()
    survey_round = SurveyRound.objects.create(
        project=project,
        trigger=SurveyTrigger.MILESTONE if milestone else SurveyTrigger.QUARTERLY,
        milestone=milestone,
        quarter=quarter or quarter_of(sent_at),
        opened_at=sent_at,
    )
    return SurveyInvitation.objects.create(
        round=survey_round, project=project, recipient=recipient, sent_at=sent_at, expires_at=sent_at + EXPIRE_AFTER
    )


def make_response(
    project, respondent, *, nps: int, overall: int, quarter: dt.date | None = None, comment: str = "", aspects=None
) -> SurveyResponse:
    """A stored answer (bypassing the service: for reports and scoring inputs)."""
    invitation = make_invitation(project, respondent, quarter=quarter)
    now = timezone.now()
    SurveyInvitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.ANSWERED, answered_at=now)
    a = aspects or {}
    return SurveyResponse.objects.create(
        invitation=invitation,
        project=project,
        respondent=respondent,
        quarter=invitation.round.quarter,
        answered_at=now,
        csat_communication=a.get("communication", overall),
        csat_responsiveness=a.get("responsiveness", overall),
        csat_quality=a.get("quality", overall),
        csat_schedule=a.get("schedule", overall),
        csat_overall=overall,
        nps=nps,
        comment=comment,
    )


def invitation_b(world) -> SurveyInvitation:
    existing = SurveyInvitation.objects.filter(project=world.project_b, recipient=world.viewer_b).first()
    return existing or make_invitation(world.project_b, world.viewer_b)


def survey_token_b(world) -> str:
    return invitation_token(invitation_b(world))


def response_b(world) -> SurveyResponse:
    existing = SurveyResponse.objects.filter(project=world.project_b).first()
    return existing or make_response(
        world.project_b, world.approver_b, nps=3, overall=2, comment="Borealis secret complaint"
    )


def certification(world) -> PMCertification:
    return PMCertification.objects.get_or_create(
        user=world.pm, kind=CertificationKind.PMP, defaults={"issued": dt.date(2024, 1, 1)}
    )[0]
