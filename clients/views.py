"""Account pages of the clients app."""

from django.contrib.auth import views as auth_views

from clients.tokens import tokens_revoke


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; a new password also revokes the user's API tokens."""

    def form_valid(self, form):
        response = super().form_valid(form)
        tokens_revoke(user=form.user)
        return response
