"""Reads for e-signatures."""

from django.contrib.contenttypes.models import ContentType

from projects.signatures.models import Signature


def signatures_for(*, user, record) -> list[Signature]:
    return list(
        Signature.objects.for_user(user)
        .filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)
        .select_related("signer")
    )


def signatures_of_records(*, user, records) -> dict[int, list[Signature]]:
    """The signatures of several records of one model, by record id, in one query."""
    records = list(records)
    if not records:
        return {}
    found: dict[int, list[Signature]] = {}
    for signature in (
        Signature.objects.for_user(user)
        .filter(content_type=ContentType.objects.get_for_model(records[0]), object_id__in=[r.pk for r in records])
        .select_related("signer")
        .order_by("signed_at")
    ):
        found.setdefault(signature.object_id, []).append(signature)
    return found
