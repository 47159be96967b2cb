"""Reads for e-signatures."""

from django.contrib.contenttypes.models import ContentType

from projects.signatures.models import Signature


def signatures_for(*, user, record) -> list[Signature]:
    return list(
        Signature.objects.for_user(user)
        .filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)
        .select_related("signer")
    )
