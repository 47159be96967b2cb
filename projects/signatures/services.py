"""21 CFR Part 11 e-signatures: sign with the password re-entered, the canonical content and its hash."""

import hashlib
import json
import logging

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from projects.signatures.models import Signature, SignatureMeaning

SIGNATURE_MAX_FAILURES = 5  # 21 CFR 11.300(d): detect and stop repeated unauthorised attempts
SIGNATURE_LOCK_SECONDS = 15 * 60
logger = logging.getLogger(__name__)


def canonical_content(record) -> dict:
    """The content a signature covers: the record's own ``signature_content()``."""
    return json.loads(json.dumps(record.signature_content(), sort_keys=True, default=str))


def content_hash(content: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of ``content``."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@transaction.atomic
def signature_sign(*, actor, record, password: str, meaning: str) -> Signature:
    """Sign ``record`` after re-checking the signer's password (21 CFR 11.200); nothing is written on failure."""
    if meaning not in SignatureMeaning.values:
        raise ValidationError({"meaning": [f"Choose one of: {', '.join(SignatureMeaning.values)}."]})
    failures_key = f"signature-failures:{actor.pk}"
    if cache.get(failures_key, 0) >= SIGNATURE_MAX_FAILURES:
        raise ValidationError(
            {"password": ["Too many wrong passwords: signing is locked for 15 minutes. Nothing was signed."]}
        )
    if not password or not actor.check_password(password):
        failures = cache.get(failures_key, 0) + 1
        cache.set(failures_key, failures, SIGNATURE_LOCK_SECONDS)
        logger.warning("Failed e-signature attempt %s by user %s", failures, actor.pk)
        raise ValidationError({"password": ["The password is not correct; nothing was signed."]})
    cache.delete(failures_key)
    content = canonical_content(record)
    return Signature.objects.create(
        signer=actor,
        printed_name=actor.display_name,
        meaning=meaning,
        project_id=record.project_id,
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        content=content,
        content_hash=content_hash(content),
    )


def signature_is_current(signature: Signature, record) -> bool:
    """False when the signed record changed after signing ("changed since signed")."""
    return content_hash(canonical_content(record)) == signature.content_hash
