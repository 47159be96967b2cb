"""The e-signature form: approve or reject, with the password re-entered."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from core.pages import add_form_errors


class SignForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.RadioSelect, label=_("Decision")
    )
    password = forms.CharField(
        widget=forms.PasswordInput, label=_("Password"), help_text=_("Re-enter your password to sign.")
    )
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label=_("Comment")
    )

    @property
    def approves(self) -> bool:
        return self.cleaned_data["decision"] == "approve"

    def sign_with(self, decide, *, actor, **record) -> bool:
        """Run a signing service (``change_request_decide``, ``baseline_decide``) with this form's decision,
        password and comment; its errors land on the form (False). Someone who may not sign gets 404."""
        try:
            decide(
                actor=actor,
                password=self.cleaned_data["password"],
                approve=self.approves,
                comment=self.cleaned_data["comment"],
                **record,
            )
        except ValidationError as error:
            add_form_errors(self, error)
            return False
        except PermissionDenied as denied:
            raise Http404 from denied
        return True
