"""API serializers of e-signatures: the signing input and the signature as recorded."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import StrictModelSerializer, StrictSerializer
from projects.signatures.models import Signature


class SignSerializer(StrictSerializer):
    password = serializers.CharField(
        style={"input_type": "password"}, help_text=_("The signer's password, re-entered.")
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SignatureSerializer(StrictModelSerializer):
    verdict = serializers.SerializerMethodField(
        help_text=_("Checked on every read: valid, changed since signed, or signature invalid (altered or copied).")
    )

    class Meta:
        model = Signature
        fields = ["id", "printed_name", "signed_at", "meaning", "content_hash", "verdict"]
        read_only_fields = fields

    def get_verdict(self, obj) -> str:
        from projects.signatures.services import signature_verdict

        record = self.context.get("record") or obj.record
        return signature_verdict(obj, record)


def signatures_field():
    return serializers.SerializerMethodField(help_text=_("The record's e-signatures, each verified on this read."))


def signatures_of(record, context) -> list:
    """The record's signatures (prefetched ``e_signatures``), each with its verdict against ``record``."""
    return SignatureSerializer(record.e_signatures.all(), many=True, context={**context, "record": record}).data
