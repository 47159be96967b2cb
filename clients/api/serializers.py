from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clients.models import Client, Role, User
from core.serializers import StrictModelSerializer, StrictSerializer


class ClientSerializer(StrictModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "slug", "active"]


class ClientCreateSerializer(StrictSerializer):
    """Onboard a client; uniqueness of name and slug is checked by the service (400 with the field)."""

    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=60, help_text=_("Short, unique, never changes (used in links)."))
    active = serializers.BooleanField(default=True)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text=_("For the audit trail.")
    )


class ClientUpdateSerializer(StrictSerializer):
    """Rename or (de)activate a client; ``reason`` is required when something changes (audit trail)."""

    name = serializers.CharField(max_length=200, required=False)
    active = serializers.BooleanField(required=False, help_text=_("false: the client's users see nothing any more."))
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text=_("For the audit trail.")
    )


class UserSerializer(StrictModelSerializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Client.objects.all(), required=False, allow_null=True, help_text=_("Required for client roles.")
    )
    role = serializers.ChoiceField(choices=Role.choices)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "username", "email", "full_name", "role", "client", "is_active", "password"]
        read_only_fields = ["id", "is_active"]

    def validate(self, attrs):
        password = attrs.get("password")
        if password:
            try:
                password_validation.validate_password(password, User(username=attrs.get("username", "")))
            except Exception as error:  # django ValidationError -> field map
                raise serializers.ValidationError(
                    {"password": list(getattr(error, "messages", [str(error)]))}
                ) from error
        return attrs


class MeSerializer(StrictModelSerializer):
    client = ClientSerializer(read_only=True, allow_null=True, help_text=_("null for CMO staff."))

    class Meta:
        model = User
        fields = ["id", "username", "email", "full_name", "role", "client"]
        read_only_fields = fields


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=_(
            "For an account with two-factor authentication: the authenticator's current code or a recovery code."
        ),
    )


class TokenResponseSerializer(StrictSerializer):
    token = serializers.CharField()
