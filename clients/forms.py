"""Forms of the account pages: the second factor's code and a password re-entered to change it."""

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.languages import LANGUAGES


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        help_text=_("The 6 digits your authenticator app shows now, or one of your recovery codes."),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct; nothing was changed."))
        return password


class LanguageForm(forms.Form):
    """The language menu: a user's language ("" = the browser's), and the page to go back to."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("As my browser"))] + [(code, name) for code, name in LANGUAGES],
        required=False,
        error_messages={"invalid_choice": _("Choose one of the portal's languages.")},
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class LocalisedPasswordResetForm(PasswordResetForm):
    """Django's reset form; the e-mail is written in the account's language when it has one (else the page's)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        language = getattr(context.get("user"), "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
