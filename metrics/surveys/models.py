"""Satisfaction surveys: rounds, invitations (one per client user and round) and the answers (audited)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.access import ScopedQuerySet
from core.audit import audited


class SurveyTrigger(models.TextChoices):
    MILESTONE = "milestone", _("Milestone completed")
    QUARTERLY = "quarterly", _("Quarterly check-in")


class SurveyRoundQuerySet(ScopedQuerySet):
    pass


@audited()
class SurveyRound(models.Model):
    """One survey of a project's client users: after a client-facing milestone, or quarterly on long projects."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="survey_rounds")
    trigger = models.CharField(max_length=10, choices=SurveyTrigger.choices)
    milestone = models.ForeignKey(
        "projects.Milestone", null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_rounds"
    )
    quarter = models.DateField(help_text=_("First day of the calendar quarter the round reports on."))
    opened_at = models.DateTimeField(default=timezone.now)

    objects = SurveyRoundQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"], condition=models.Q(milestone__isnull=False), name="one_survey_round_per_milestone"
            )
        ]
        indexes = [models.Index(fields=["project", "-opened_at"])]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} survey of {self.project_id} ({self.opened_at:%Y-%m-%d})"


class InvitationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("survey invitation", "Open")
    ANSWERED = "answered", pgettext_lazy("survey invitation", "Answered")
    EXPIRED = "expired", pgettext_lazy("survey invitation", "Expired")


class SurveyInvitationQuerySet(ScopedQuerySet):
    def client_condition(self, user):
        """Client users see only the invitations addressed to them; CMO staff see all (response rates)."""
        return Q(recipient_id=user.pk)


class SurveyInvitation(models.Model):
    """A client user's invitation to answer a round, once; reminded after 7 days, expired after 30."""

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="invitations")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="survey_invitations")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_invitations")
    status = models.CharField(max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.OPEN)
    sent_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = SurveyInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "recipient"], name="one_invitation_per_round_and_user"),
            models.CheckConstraint(
                name="invitation_answered_when_answered_at",
                condition=models.Q(status="answered", answered_at__isnull=False)
                | (~models.Q(status="answered") & models.Q(answered_at__isnull=True)),
            ),
            models.CheckConstraint(
                name="invitation_expires_after_sent", condition=models.Q(expires_at__gt=F("sent_at"))
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"]), models.Index(fields=["recipient", "status"])]

    def __str__(self) -> str:
        return f"Survey invitation {self.pk} for {self.recipient_id} ({self.status})"


class SurveyResponseQuerySet(ScopedQuerySet):
    """A client sees its own satisfaction history (all of its users' answers); staff see every client's."""


CSAT_FIELDS = ("csat_communication", "csat_responsiveness", "csat_quality", "csat_schedule", "csat_overall")


def _csat_field(help_text) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=help_text
    )


@audited()
class SurveyResponse(models.Model):
    """The answer to one invitation: CSAT 1–5 on five aspects, NPS 0–10 and a comment."""

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.PROTECT, related_name="response")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="survey_responses")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    quarter = models.DateField(help_text=_("The round's quarter (first day)."))
    answered_at = models.DateTimeField(default=timezone.now)
    csat_communication = _csat_field(_("Communication, 1 (very poor) .. 5 (excellent)."))
    csat_responsiveness = _csat_field(_("Responsiveness, 1 (very poor) .. 5 (excellent)."))
    csat_quality = _csat_field(_("Quality, 1 (very poor) .. 5 (excellent)."))
    csat_schedule = _csat_field(_("Schedule, 1 (very poor) .. 5 (excellent)."))
    csat_overall = _csat_field(_("Overall satisfaction, 1 (very poor) .. 5 (excellent)."))
    nps = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)], help_text=_("Likelihood to recommend, 0..10.")
    )
    comment = models.TextField(blank=True)
    issue = models.ForeignKey(
        "projects.Issue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The shared issue opened for a detractor or a CSAT of 1–2."),
    )

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-answered_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="survey_nps_0_10", condition=models.Q(nps__gte=0, nps__lte=10)),
            *[
                models.CheckConstraint(
                    name=f"survey_{name}_1_5", condition=models.Q(**{f"{name}__gte": 1, f"{name}__lte": 5})
                )
                for name in CSAT_FIELDS
            ],
        ]
        indexes = [models.Index(fields=["project", "quarter"])]

    def __str__(self) -> str:
        return f"Survey response {self.pk}: NPS {self.nps}, CSAT {self.csat_overall}"
