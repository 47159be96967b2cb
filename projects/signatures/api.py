"""API serializers of e-signatures: the signing input and the signature as recorded."""

from rest_framework import serializers

from projects.signatures.models import Signature


class SignSerializer(serializers.Serializer):
    password = serializers.CharField(style={"input_type": "password"}, help_text="The signer's password, re-entered.")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SignatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Signature
        fields = ["id", "printed_name", "signed_at", "meaning", "content_hash"]
        read_only_fields = fields
