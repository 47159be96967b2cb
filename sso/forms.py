from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sso import oidc
from sso.models import OidcProvider, SsoDomain


class SsoStartForm(forms.Form):
    """The login page's "sign in with your organisation": the work e-mail's domain chooses the provider."""

    email = forms.EmailField(label=_("Work e-mail"), max_length=254)
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


DOMAIN = forms.RegexField(
    regex=r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    max_length=253,
    error_messages={"invalid": _("Enter a domain such as aurora-bio.com (lower case, no @).")},
)


class SsoDomainForm(forms.ModelForm):
    domain = DOMAIN

    class Meta:
        model = SsoDomain
        fields = ["domain"]

    def clean_domain(self):
        return self.cleaned_data["domain"].lower()


class OidcProviderForm(forms.ModelForm):
    issuer = forms.URLField(
        max_length=300,
        assume_scheme="https",
        help_text=_("The provider's issuer URL exactly as its discovery document states it (https)."),
    )
    oidc_client_secret = forms.CharField(
        label=_("OIDC client secret"),
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Write-only. Leave empty to keep the stored secret."),
    )

    class Meta:
        model = OidcProvider
        fields = ["client", "issuer", "oidc_client_id", "oidc_client_secret", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["oidc_client_secret"] = ""  # never sent to the browser; empty means "keep it" (unchanged)

    def clean_issuer(self):
        issuer = self.cleaned_data["issuer"]
        if not oidc.url_allowed(issuer):
            raise ValidationError(_("The issuer must be an https URL."))
        return issuer

    def clean_oidc_client_secret(self):
        secret = self.cleaned_data.get("oidc_client_secret", "")
        if not secret:
            if not self.instance.pk:
                raise ValidationError(_("Enter the client secret the provider issued for the portal."))
            return self.instance.oidc_client_secret
        return secret

    def clean_client(self):
        client = self.cleaned_data.get("client")
        if self.instance.pk and client != self.instance.client:
            raise ValidationError(
                _("A provider belongs to one client for good: register a new one for another client.")
            )
        return client
