"""The e-signature form: approve or reject, with the password re-entered."""

from django import forms


class SignForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")], widget=forms.RadioSelect)
    password = forms.CharField(widget=forms.PasswordInput, help_text="Re-enter your password to sign.")
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
