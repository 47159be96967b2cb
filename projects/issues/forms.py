"""Forms of the issue pages: raise, comment, resolve."""

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.issues.models import IssueStatus
from projects.list_forms import ListFilterForm
from projects.records import Visibility


class IssueRaiseForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Title"))
    description = forms.CharField(required=False, label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.SHARED, label=_("Visibility"))

    def __init__(self, *args, for_client: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]  # a client's issue is always shared


class IssueCommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class IssueResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class IssueFilterForm(ListFilterForm):
    """The issue list's filters: status, whom an open issue waits on and (CMO staff) visibility."""

    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("Open and resolved")), *IssueStatus.choices]
    )
    waiting_on = forms.ChoiceField(
        required=False,
        label=_("Waiting on"),
        choices=[("", _("Anyone")), ("cmo", _("The CMO")), ("client", _("The client"))],
    )
    visibility = forms.ChoiceField(
        required=False, label=_("Visibility"), choices=[("", _("Shared and internal")), *Visibility.choices]
    )

    def __init__(self, *args, for_client: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]
            self.fields["waiting_on"].choices = [("", _("Anyone")), ("cmo", _("The CMO")), ("client", _("You"))]
