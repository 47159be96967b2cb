"""Account pages of the clients app."""

from django.contrib.auth import views as auth_views

from clients.models import SecurityEventKind
from clients.security import security_event_record
from clients.tokens import tokens_revoke


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; a new password also revokes the user's API tokens and is a security event."""

    def form_valid(self, form):
        response = super().form_valid(form)
        revoked = tokens_revoke(user=form.user)
        security_event_record(
            kind=SecurityEventKind.PASSWORD_CHANGED, request=self.request, user=form.user, tokens_revoked=revoked
        )
        return response
