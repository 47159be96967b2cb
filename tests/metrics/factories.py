"""Factories of the metrics records (scores, surveys, Lean, KPI targets, tradeoffs) and client B's survey records."""

import datetime as dt

import factory
from django.utils import timezone

from clients.models import CertificationKind, PMCertification
from metrics.lean.models import ClientKpiTarget, LeanSnapshot
from metrics.quarters import quarter_of
from metrics.scores.models import ScoreSnapshot, TradeoffProposal
from metrics.surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse, SurveyRound, SurveyTrigger
from metrics.surveys.services import EXPIRE_AFTER, invitation_token
from tests.clients.factories import ClientFactory, PMCertificationFactory, UserFactory
from tests.projects.factories import ProjectFactory


class ScoreSnapshotFactory(factory.django.DjangoModelFactory):
    """A stored score (bypassing the recompute): red carries a high risk score, anything else a low one."""

    class Meta:
        model = ScoreSnapshot
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    bucket = factory.LazyFunction(timezone.now)
    as_of = factory.LazyAttribute(lambda o: o.bucket.date())
    policy_version = 1
    rag = "green"
    risk_score = factory.LazyAttribute(lambda o: 70 if o.rag == "red" else 10)
    tradeoff_score = 50
    stress_time = 0
    stress_cost = 0
    stress_scope = 0
    stress_quality = 0
    stress_satisfaction = 0
    stress_risk_register = 0
    result = factory.LazyFunction(dict)
    inputs = factory.LazyFunction(dict)

    @factory.post_generation
    def current(obj, create, extracted, **kwargs):
        """Written as the recompute writes: the project's current score follows its newest snapshot."""
        if create:
            from metrics.scores.services import current_scores_repoint

            current_scores_repoint([obj.project_id])


class TradeoffProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TradeoffProposal

    project = factory.SubFactory(ProjectFactory)
    proposed_by = factory.SubFactory(UserFactory)
    time = "constrain"
    scope = "accept"
    quality = "constrain"
    cost = "optimize"
    reason = factory.Sequence(lambda n: f"Priorities {n}")


class LeanSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeanSnapshot

    project = factory.SubFactory(ProjectFactory)
    quarter = factory.LazyFunction(lambda: quarter_of(timezone.now()))


class ClientKpiTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientKpiTarget

    client = factory.SubFactory(ClientFactory)
    metric = "otif"
    target = 95


class SurveyRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyRound

    project = factory.SubFactory(ProjectFactory)
    milestone = None
    trigger = factory.LazyAttribute(lambda o: SurveyTrigger.MILESTONE if o.milestone else SurveyTrigger.QUARTERLY)
    opened_at = factory.LazyFunction(timezone.now)
    quarter = factory.LazyAttribute(lambda o: quarter_of(o.opened_at))


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation, sent now unless told otherwise, that expires as the service's would."""

    class Meta:
        model = SurveyInvitation

    sent_at = factory.LazyFunction(timezone.now)
    round = factory.SubFactory(SurveyRoundFactory, opened_at=factory.SelfAttribute("..sent_at"))
    project = factory.SelfAttribute("round.project")
    recipient = factory.SubFactory(UserFactory)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + EXPIRE_AFTER)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    """A stored answer (bypassing the service): every aspect scores ``csat_overall`` unless told otherwise."""

    class Meta:
        model = SurveyResponse

    answered_at = factory.LazyFunction(timezone.now)
    invitation = factory.SubFactory(
        SurveyInvitationFactory,
        status=InvitationStatus.ANSWERED,
        sent_at=factory.SelfAttribute("..answered_at"),
        answered_at=factory.SelfAttribute("..answered_at"),
    )
    project = factory.SelfAttribute("invitation.project")
    respondent = factory.SelfAttribute("invitation.recipient")
    quarter = factory.SelfAttribute("invitation.round.quarter")
    csat_overall = 4
    csat_communication = factory.SelfAttribute("csat_overall")
    csat_responsiveness = factory.SelfAttribute("csat_overall")
    csat_quality = factory.SelfAttribute("csat_overall")
    csat_schedule = factory.SelfAttribute("csat_overall")
    nps = 9
    comment = ""


def make_invitation(
    project, recipient, *, sent_at: dt.datetime | None = None, milestone=None, quarter: dt.date | None = None
) -> SurveyInvitation:
    """An open invitation of a round of its own (a milestone's round if ``milestone`` is given)."""
    sent_at = sent_at or timezone.now()
    survey_round = SurveyRoundFactory(
        project=project, milestone=milestone, opened_at=sent_at, quarter=quarter or quarter_of(sent_at)
    )
    return SurveyInvitationFactory(round=survey_round, project=project, recipient=recipient, sent_at=sent_at)


def make_response(
    project, respondent, *, nps: int, overall: int, quarter: dt.date | None = None, comment: str = "", aspects=None
) -> SurveyResponse:
    """A stored answer (bypassing the service: for reports and scoring inputs); ``aspects`` overrides some scores."""
    survey_round = SurveyRoundFactory(project=project, quarter=quarter or quarter_of(timezone.now()))
    a = aspects or {}
    return SurveyResponseFactory(
        invitation__round=survey_round,
        invitation__recipient=respondent,
        nps=nps,
        csat_overall=overall,
        csat_communication=a.get("communication", overall),
        csat_responsiveness=a.get("responsiveness", overall),
        csat_quality=a.get("quality", overall),
        csat_schedule=a.get("schedule", overall),
        comment=comment,
    )


# --- Client B's survey records and the PM's certificate (the isolation routes point at them) --------------


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
    existing = PMCertification.objects.filter(user=world.pm, kind=CertificationKind.PMP).first()
    return existing or PMCertificationFactory(user=world.pm, kind=CertificationKind.PMP)
