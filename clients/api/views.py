from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from clients import access, services
from clients.api.serializers import (
    ClientCreateSerializer,
    ClientSerializer,
    ClientUpdateSerializer,
    MeSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)
from clients.models import Client, SecurityEventKind, User
from clients.password_age import expired_message, password_expired
from clients.security import security_event_record
from clients.tokens import ExpiringTokenAuthentication, token_expired, tokens_revoke
from clients.two_factor import api_code_check
from core.api import RolePermission, ScopedQuerysetMixin


class IsUserAdmin(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return access.can_manage_users(request.user)


class ClientPermission(RolePermission):
    write_check = staticmethod(access.can_manage_users)


class ClientViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Clients in the caller's scope: a client user sees only their own. Administrators onboard (POST), rename
    and (de)activate (PATCH, with ``reason``) clients; clients are never deleted."""

    queryset = Client.objects.all()
    serializer_class = ClientSerializer
    permission_classes = [ClientPermission]
    filterset_fields = ["active", "slug"]
    ordering_fields = ["name", "slug"]

    @extend_schema(request=ClientCreateSerializer, responses={201: ClientSerializer})
    def create(self, request):
        data = _validated(ClientCreateSerializer, request.data)
        client = services.client_create(
            actor=request.user,
            name=data["name"],
            slug=data["slug"],
            active=data["active"],
            reason=data.get("reason", ""),
        )
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ClientUpdateSerializer, responses=ClientSerializer)
    def partial_update(self, request, pk=None):
        client = self.get_object()
        data = _validated(ClientUpdateSerializer, request.data)
        client = services.client_update(
            actor=request.user,
            client=client,
            reason=data.get("reason", ""),
            name=data.get("name"),
            active=data.get("active"),
        )
        return Response(ClientSerializer(client).data)


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class UserViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Portal users (administrators only); ``me/`` for anyone logged in."""

    queryset = User.objects.select_related("client")
    serializer_class = UserSerializer
    permission_classes = [IsUserAdmin]
    filterset_fields = ["role", "client"]
    ordering_fields = ["username", "role"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.user_create(
            actor=self.request.user,
            username=data["username"],
            password=data.get("password"),
            role=data["role"],
            client=data.get("client"),
            email=data.get("email", ""),
            full_name=data.get("full_name", ""),
        )

    @extend_schema(responses=MeSerializer)
    @action(detail=False, methods=["get"], permission_classes=[permissions.IsAuthenticated])
    def me(self, request):
        return Response(MeSerializer(request.user).data)


THROTTLED_ANSWER = "Too many requests (API_TOKEN_THROTTLE), or the account is locked out after failed logins."


class TokenView(APIView):
    """Exchange username and password for an API token (``Authorization: Token <t>``); DELETE revokes yours.

    Tokens expire after ``API_TOKEN_TTL_HOURS`` (a new request after expiry issues a fresh one) and are revoked
    by a password change or a deactivation. Requests are rate-limited; a locked-out account answers 429.
    """

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_authenticators(self):
        return [ExpiringTokenAuthentication()] if self.request and self.request.method == "DELETE" else []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, 429: OpenApiResponse(description=THROTTLED_ANSWER)},
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise Throttled(detail=_("Too many failed attempts: this account is locked for a while."))
        if user is None or not user.is_active:
            raise ValidationError({"non_field_errors": [_("Unable to log in with the username and password given.")]})
        if password_expired(user):
            raise ValidationError({"non_field_errors": [expired_message()]})
        refused = api_code_check(request=request, user=user, code=serializer.validated_data.get("otp", ""))
        if refused:
            raise ValidationError({"otp": [refused]})
        token, created = Token.objects.get_or_create(user=user)
        if not created and token_expired(token):
            token.delete()
            token, created = Token.objects.create(user=user), True
        security_event_record(kind=SecurityEventKind.TOKEN_ISSUED, request=request, user=user, new=created)
        return Response({"token": token.key}, status=status.HTTP_200_OK)

    @extend_schema(
        request=None,
        responses={
            204: None,
            401: OpenApiResponse(description="No valid token: nothing to revoke."),
            429: OpenApiResponse(description=THROTTLED_ANSWER),
        },
    )
    def delete(self, request):
        """Revoke the token used for this request (and every other token of yours)."""
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
