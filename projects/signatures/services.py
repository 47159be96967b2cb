"""21 CFR Part 11 e-signatures: sign with the password re-entered, the canonical content and its hash."""

import contextvars
import datetime as dt
import functools
import hashlib
import json
import logging

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import SecurityEvent, SecurityEventKind
from clients.security import security_event_record
from projects.signatures.models import Signature, SignatureMeaning

SIGNATURE_MAX_FAILURES = 5  # 21 CFR 11.300(d): detect and stop repeated unauthorised attempts
SIGNATURE_LOCK_WINDOW = dt.timedelta(minutes=15)
logger = logging.getLogger(__name__)


def signature_binding(
    *,
    content_hash: str,
    content_type_id: int,
    object_id: int,
    project_id: int,
    signer_id: int,
    printed_name: str,
    meaning: str,
    signed_at,
) -> str:
    """HMAC-SHA-256 (keyed by the server's secret, so a database superuser cannot recompute it) that binds the
    signed content to its record, signer, printed name, meaning and UTC time (21 CFR 11.50, 11.70)."""
    message = "|".join(
        [
            content_hash,
            str(content_type_id),
            str(object_id),
            str(project_id),
            str(signer_id),
            printed_name,
            meaning,
            signed_at.astimezone(dt.UTC).isoformat(),
        ]
    )
    return salted_hmac("cmo-portal.e-signature", message, algorithm="sha256").hexdigest()


def canonical_content(record) -> dict:
    """The content a signature covers: the record's own ``signature_content()``."""
    return json.loads(json.dumps(record.signature_content(), sort_keys=True, default=str))


def content_hash(content: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of ``content``."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class SignaturePasswordRejected(ValidationError):
    """A wrong password at signing. It rolls the signing transaction back; the outermost signing service
    (``records_failed_signatures``) then records the attempt as a security event that outlives the rollback."""

    def __init__(self, message, *, actor, record):
        super().__init__(message)
        self.actor = actor
        self.record = record


_signing_depth = contextvars.ContextVar("signing_depth", default=0)


def records_failed_signatures(service):
    """Wrap a signing service outside its ``@transaction.atomic``: a wrong password is recorded durably as a
    ``SecurityEvent`` after the service's transaction has rolled back (once, by the outermost wrapper).

    The lockout counts these events, so it survives a cache or Redis outage and a restart.
    """

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        outermost = _signing_depth.get() == 0
        depth = _signing_depth.set(_signing_depth.get() + 1)
        try:
            return service(*args, **kwargs)
        except SignaturePasswordRejected as rejected:
            if outermost:
                _signature_failure_record(rejected)
            raise
        finally:
            _signing_depth.reset(depth)

    return wrapper


def _signature_failure_record(rejected: SignaturePasswordRejected) -> None:
    record = rejected.record
    with transaction.atomic():
        security_event_record(
            kind=SecurityEventKind.SIGNATURE_FAILED,
            user=rejected.actor,
            record=f"{record._meta.label_lower}:{record.pk}",
            project=getattr(record, "project_id", None),
        )
    logger.warning("Failed e-signature attempt by user %s on %s %s", rejected.actor.pk, record._meta.label, record.pk)


def signature_lockout_active(actor, *, now: dt.datetime | None = None) -> bool:
    """True after ``SIGNATURE_MAX_FAILURES`` wrong passwords in the last 15 minutes since the signer's last
    successful signature (21 CFR 11.300(d)); counted from the durable security events, never from the cache."""
    since = (now or timezone.now()) - SIGNATURE_LOCK_WINDOW
    last_signed = Signature.objects.filter(signer=actor).aggregate(last=Max("signed_at"))["last"]
    if last_signed is not None and last_signed > since:
        since = last_signed
    failures = SecurityEvent.objects.filter(kind=SecurityEventKind.SIGNATURE_FAILED, user=actor, at__gt=since)
    return failures.count() >= SIGNATURE_MAX_FAILURES


@records_failed_signatures
@transaction.atomic
def signature_sign(*, actor, record, password: str, meaning: str) -> Signature:
    """Sign ``record`` after re-checking the signer's password (21 CFR 11.200); nothing is written on failure
    but the failed attempt's security event (see ``records_failed_signatures``)."""
    if meaning not in SignatureMeaning.values:
        raise ValidationError(
            {"meaning": [_("Choose one of: %(meanings)s.") % {"meanings": ", ".join(SignatureMeaning.values)}]}
        )
    if signature_lockout_active(actor):
        raise ValidationError(
            {"password": [_("Too many wrong passwords: signing is locked for 15 minutes. Nothing was signed.")]}
        )
    if not password or not actor.check_password(password):
        raise SignaturePasswordRejected(
            {"password": [_("The password is not correct; nothing was signed.")]}, actor=actor, record=record
        )
    content = canonical_content(record)
    signature = Signature(
        signer=actor,
        printed_name=actor.display_name,
        signed_at=timezone.now(),
        meaning=meaning,
        project_id=record.project_id,
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        content=content,
        content_hash=content_hash(content),
    )
    signature.binding = _binding_of(signature)
    signature.save()
    return signature


def _binding_of(signature: Signature) -> str:
    return signature_binding(
        content_hash=signature.content_hash,
        content_type_id=signature.content_type_id,
        object_id=signature.object_id,
        project_id=signature.project_id,
        signer_id=signature.signer_id,
        printed_name=signature.printed_name,
        meaning=signature.meaning,
        signed_at=signature.signed_at,
    )


VALID = "valid"
CHANGED = "changed since signed"
FORGED = "signature invalid (altered or copied)"
# A signed document version's verdicts beside the record's (``documents.services.document_signature_verdict``).
FILE_CHANGED = "signature invalid (file changed since signed)"
RECORD_CHANGED = "signature invalid (version changed since signed)"
FILE_MISSING = "signature invalid (file missing)"
#: The verdicts (machine values, e.g. in the API and the audit trail) in words for a person.
VERDICT_TEXTS = {
    VALID: gettext_lazy("valid"),
    CHANGED: gettext_lazy("changed since signed"),
    FORGED: gettext_lazy("signature invalid (altered or copied)"),
    FILE_CHANGED: gettext_lazy("signature invalid (file changed since signed)"),
    RECORD_CHANGED: gettext_lazy("signature invalid (version changed since signed)"),
    FILE_MISSING: gettext_lazy("signature invalid (file missing)"),
}


def verdict_text(verdict: str) -> str:
    """A verdict in the reader's language."""
    return str(VERDICT_TEXTS.get(verdict, verdict))


def signature_verdict(signature: Signature, record) -> str:
    """Checked on every display: the signature is its own (binding), its content is what it says (hash), it
    belongs to this record and project, and the record has not changed since."""
    bound_here = (
        signature.content_type_id == ContentType.objects.get_for_model(record).pk
        and signature.object_id == record.pk
        and signature.project_id == record.project_id
    )
    consistent = content_hash(signature.content) == signature.content_hash
    binding_ok = bool(signature.binding) and constant_time_compare(signature.binding, _binding_of(signature))
    if not (bound_here and consistent and binding_ok):
        return FORGED
    return VALID if signature_is_current(signature, record) else CHANGED


def signature_is_current(signature: Signature, record) -> bool:
    """False when the signed record changed after signing ("changed since signed")."""
    return content_hash(canonical_content(record)) == signature.content_hash
