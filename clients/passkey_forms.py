"""The form of the passkey just made: its name (clients.passkeys)."""

from django import forms
from django.utils.translation import gettext_lazy as _

NAME_MAX_LENGTH = 64  # django-otp's Device.name


class PasskeyNameForm(forms.Form):
    """The name of the passkey just made (sent by static/js/passkeys.js once the browser made it)."""

    passkey = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    name = forms.CharField(label=_("Name of this passkey"), max_length=NAME_MAX_LENGTH)
