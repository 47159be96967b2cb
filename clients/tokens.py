"""API tokens that expire, can be revoked, and die with a password change (issue 11 finding 8, issue 12 item 4)."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from clients.password_age import expired_message, password_expired


def token_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_expired(token: Token, now: dt.datetime | None = None) -> bool:
    return token.created + token_lifetime() <= (now or timezone.now())


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <t>``; a token older than API_TOKEN_TTL_HOURS is refused (401) and deleted."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(
                _("The token has expired: ask for a new one at %(url)s.") % {"url": "/api/v1/auth/token/"}
            )
        if password_expired(user):
            raise exceptions.AuthenticationFailed(expired_message())
        return user, token


def tokens_revoke(*, user) -> int:
    """Every API token of ``user`` stops working (sign-out of the API, a password change, a deactivation)."""
    deleted, _by_model = Token.objects.filter(user=user).delete()
    return deleted
