"""Forms of the issue pages: raise, comment, resolve."""

from django import forms

from projects.issues.models import IssueStatus
from projects.list_forms import ListFilterForm
from projects.records import Visibility


class IssueRaiseForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.SHARED)

    def __init__(self, *args, for_client: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]  # a client's issue is always shared


class IssueCommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class IssueResolveForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class IssueFilterForm(ListFilterForm):
    """The issue list's filters: status, whom an open issue waits on and (CMO staff) visibility."""

    status = forms.ChoiceField(required=False, choices=[("", "Open and resolved"), *IssueStatus.choices])
    waiting_on = forms.ChoiceField(
        required=False, label="Waiting on", choices=[("", "Anyone"), ("cmo", "The CMO"), ("client", "The client")]
    )
    visibility = forms.ChoiceField(required=False, choices=[("", "Shared and internal"), *Visibility.choices])

    def __init__(self, *args, for_client: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if for_client:
            del self.fields["visibility"]
            self.fields["waiting_on"].choices = [("", "Anyone"), ("cmo", "The CMO"), ("client", "You")]
