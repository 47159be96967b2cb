"""Tenants (biopharma clients), users with one role, and PM certifications."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.access import ScopedQuerySet, can_manage_users
from clients.roles import CLIENT_ROLES, STAFF_ROLES, Role
from core.audit import audited
from core.input_ranges import validate_date_in_range
from core.languages import LANGUAGES


class ClientQuerySet(ScopedQuerySet):
    client_path = ""


@audited()
class Client(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(ScopedQuerySet):
    """Administrators see every user; anyone else sees only themselves."""

    owner_path = "pk"
    unrestricted = staticmethod(can_manage_users)


class PortalUserManager(UserManager.from_queryset(UserQuerySet)):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


# A login or a new password is not a record change: each is a SecurityEvent of its own.
@audited(exclude=["password", "last_login", "password_changed_at"])
class User(AbstractUser):
    """A portal user. Client roles belong to exactly one client; staff roles to none."""

    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLIENT_VIEWER)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    password_changed_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the password was last set (password ageing, PASSWORD_MAX_AGE_DAYS).")
    )
    language = models.CharField(
        max_length=10,
        choices=LANGUAGES,
        blank=True,
        default="",
        help_text=_("The portal's language for this user (pages, e-mails, PDFs); empty: the browser's."),
    )

    objects = PortalUserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                name="user_client_matches_role",
                condition=(
                    Q(role__in=[r.value for r in CLIENT_ROLES], client__isnull=False)
                    | Q(role__in=[r.value for r in STAFF_ROLES], client__isnull=True)
                ),
                violation_error_message=_("Client users need a client; CMO staff must not have one."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def set_password(self, raw_password) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def check_password(self, raw_password) -> bool:
        changed_at = self.password_changed_at
        ok = super().check_password(raw_password)
        self.password_changed_at = changed_at  # a hash upgraded on login is not a new password
        return ok

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @property
    def is_client_user(self) -> bool:
        return self.role in CLIENT_ROLES

    @property
    def is_cmo_staff(self) -> bool:
        return self.role in STAFF_ROLES


class CertificationKind(models.TextChoices):
    PMP = "pmp", "PMP"  # i18n: exempt (a certification's name)
    PRINCE2 = "prince2", "PRINCE2"  # i18n: exempt (a certification's name)
    CAPM = "capm", "CAPM"  # i18n: exempt (a certification's name)
    INTERNAL = "internal", _("Internal PM training")


@audited()
class PMCertification(models.Model):
    """Evidence that a PM is trained; a PM without a current one is an "accidental PM"."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(max_length=20, choices=CertificationKind.choices)
    issued = models.DateField(validators=[validate_date_in_range])
    expires = models.DateField(
        null=True,
        blank=True,
        validators=[validate_date_in_range],
        help_text=_("Empty for certificates that do not expire."),
    )

    class Meta:
        ordering = ["user", "-issued"]
        constraints = [
            models.CheckConstraint(
                name="certification_expires_after_issue",
                condition=Q(expires__isnull=True) | Q(expires__gt=models.F("issued")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.user})"


class CalendarFeedTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class CalendarFeedToken(models.Model):
    """A user's secret calendar-subscription link; only the SHA-256 of the secret is stored.

    Calendar apps fetch the feed without a session, so the link is a bearer credential:
    a database dump or an admin page must not reveal a usable URL. Resetting revokes the
    previous row (kept, with ``revoked_at``, as history) and issues a new one.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feed_tokens")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedTokenQuerySet.as_manager()

    class Meta:
        ordering = ["user", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_calendar_feed_token_per_user",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"Calendar feed of {self.user} ({state})"


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Locked out after failed logins")
    LOGOUT = "logout", _("Logged out")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    SIGNATURE_FAILED = "signature_failed", _("Failed e-signature attempt")
    EXPORT = "export", _("Export downloaded")
    VIEW_AS_STARTED = "view_as_started", _("View as client started")
    VIEW_AS_STOPPED = "view_as_stopped", _("View as client ended")
    VIEW_AS_REFUSED = "view_as_refused", _("Refused while viewing as client")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor authentication enabled")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor authentication disabled")
    TWO_FACTOR_VERIFIED = "two_factor_verified", _("Second factor accepted at login")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Wrong second-factor code")
    RECOVERY_CODES_NEW = "recovery_codes_new", _("New recovery codes issued")
    PASSWORD_RESET_ASKED = "password_reset_asked", _("Password reset asked for")


class SecurityEventQuerySet(ScopedQuerySet):
    """Security events are for administrators and leadership (the inspection report), never for clients."""

    client_path = ""
    staff_only = True


@audited()
class SecurityEvent(models.Model):
    """Who tried what, when: logins, lockouts, tokens, failed signatures, exports (21 CFR 11.300(d), 11.10(e)).

    Append-only like the rest of the record: its rows are audited (and so chained) and the application
    role may not update or delete them. ``username`` is what was typed; ``printed_name`` is frozen.
    """

    kind = models.CharField(max_length=20, choices=SecurityEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey("User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    printed_name = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["kind", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username} {self.at:%Y-%m-%d %H:%M}"


@audited()
class SecurityPolicy(models.Model):
    """The portal's one security configuration row (pk 1), edited in the admin with a reason: which roles must
    log in with a second factor. A role that requires it is sent to enrol at its next login (``clients.two_factor``).
    """

    require_2fa_client_viewer = models.BooleanField(_("Require two-factor for client viewers"), default=False)
    require_2fa_client_approver = models.BooleanField(_("Require two-factor for client approvers"), default=False)
    require_2fa_project_manager = models.BooleanField(_("Require two-factor for project managers"), default=False)
    require_2fa_leadership = models.BooleanField(_("Require two-factor for leadership"), default=False)
    require_2fa_admin = models.BooleanField(_("Require two-factor for administrators"), default=False)

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policy")
        constraints = [models.CheckConstraint(name="security_policy_single_row", condition=Q(pk=1))]

    def __str__(self) -> str:
        return gettext("Security policy")

    @classmethod
    def current(cls) -> "SecurityPolicy":
        """The saved policy, or the defaults (nothing required) while none is saved; never writes."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def requires_two_factor(self, role: str) -> bool:
        return bool(getattr(self, f"require_2fa_{role}", False))
